"""The one JSON decoder for request bodies, and the check of the media type a body is sent as.

Every JSON body (the ``/v1/*`` models through ``routing.JsonBodyRoute``, the ``/oauth/*`` parameters through
``oauth_parameters``) is decoded here, so all of them refuse the same things with a 400 ``invalid_request``:

- nesting deeper than ``MAX_DEPTH``: Python's decoder recurses once per level and raises ``RecursionError``
  near 1,000 levels, which used to escape as a 500; a cheap scan counts the levels before decoding;
- a number of more than ``MAX_NUMBER_CHARS`` characters: ``int()`` refuses more than 4,300 digits with a
  ``ValueError`` (another 500), and a long number costs quadratic time to convert; a float that overflows to
  infinity, and the non-standard ``NaN``/``Infinity`` literals, are refused too;
- a key given twice in one object: parsers disagree on which copy wins (Python keeps the last, others the
  first), so a proxy or a client library could read another value than this server;
- a body that is not UTF-8 (RFC 8259 §8.1), a byte-order mark, or anything that is not JSON.

None of these messages repeats what was sent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from tokenward.errors import InvalidRequest, UnsupportedMediaType

JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
#: no request of this API nests deeper than 2; 32 leaves room and keeps the scan and the decoder cheap
MAX_DEPTH = 32
#: characters of one number literal (sign, digits, point, exponent); no field of this API needs more
MAX_NUMBER_CHARS = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def media_type(content_type: str | None) -> str | None:
    """The media type of a ``Content-Type`` value, lower-cased and without parameters; ``None`` when absent."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def require_media_type(content_type: str | None, accepted: Sequence[str], *, method: str) -> str:
    """The body's media type if it is one of ``accepted``; otherwise 415, naming what is accepted."""
    found = media_type(content_type)
    if found is None or found not in accepted:
        raise UnsupportedMediaType(accepted, method=method)
    return found


def decode_json_body(raw: bytes) -> Any:
    """Decode a request body as JSON, refusing what the module docstring lists with ``InvalidRequest``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("The body is not UTF-8") from None
    _check_depth(text)
    try:
        return json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError:
        raise InvalidRequest("The body is not valid JSON") from None
    except RecursionError:  # the scan above makes this unreachable; kept so a miscount can never be a 500
        raise InvalidRequest(f"The body nests deeper than {MAX_DEPTH} levels") from None


def _check_depth(text: str) -> None:
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidRequest(f"The body nests deeper than {MAX_DEPTH} levels")
        else:
            depth -= 1


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise InvalidRequest("A JSON object in the body has the same key more than once")
    return document


def _refuse_long_number() -> NoReturn:
    raise InvalidRequest(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters")


def _bounded_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        _refuse_long_number()
    return int(literal)


def _bounded_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        _refuse_long_number()
    value = float(literal)
    if not math.isfinite(value):
        raise InvalidRequest("A number in the body is too large")
    return value


def _refuse_constant(literal: str) -> NoReturn:
    raise InvalidRequest("NaN and Infinity are not JSON")

"""Parameters of the OAuth endpoints (token, revocation, introspection), read one way everywhere.

Form-encoded bodies (RFC 6749 §4-6, RFC 7009 §2.1, RFC 7662 §2.1) and, for convenience, JSON objects decoded by
the one JSON decoder (``api.json_body``). A body of any other media type, or with none, is 415. A parameter
given twice is refused rather than one copy picked (parsers disagree on which), and every value must be a
bounded string. ``oauth_body_schema`` documents exactly this in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from fastapi import Request

from tokenward.api.json_body import FORM_MEDIA_TYPE, JSON_MEDIA_TYPE, decode_json_body, require_media_type
from tokenward.errors import InvalidRequest

MAX_PARAMETER_CHARS = 4096
MAX_PARAMETERS = 20
OAUTH_MEDIA_TYPES = (FORM_MEDIA_TYPE, JSON_MEDIA_TYPE)
#: Starlette's bound on one form field (name and value), kept so that a form is refused as it was
_MAX_FIELD_BYTES = 1024 * 1024


async def read_oauth_parameters(request: Request) -> dict[str, str]:
    body = await request.body()
    if not body:
        return {}  # no parameters at all: the route says which one is missing
    kind = require_media_type(request.headers.get("content-type"), OAUTH_MEDIA_TYPES, method=request.method)
    values = _form(body) if kind == FORM_MEDIA_TYPE else decode_json_body(body)
    if not isinstance(values, dict):
        raise InvalidRequest("The body must be a JSON object")
    if len(values) > MAX_PARAMETERS:
        raise InvalidRequest(f"At most {MAX_PARAMETERS} parameters are accepted")
    parameters: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(value, str) or len(value) > MAX_PARAMETER_CHARS:
            raise InvalidRequest(
                f"Parameter {key} must be a string of at most {MAX_PARAMETER_CHARS} characters"
            )
        parameters[key] = value
    return parameters


def _form(body: bytes) -> dict[str, Any]:
    """The fields of a form-encoded body, read exactly as Starlette's form parser (python-multipart) reads
    them, refusals and their wording included, without its per-byte callbacks (a visible share of a refresh):
    fields split on ``&``, empty ones skipped, the name up to the first ``=``, each part ``+``/``%``-decoded
    from Latin-1 text. ``tests/unit/api/test_oauth_form.py`` holds the two to the same answers."""
    fields: dict[str, list[str]] = {}
    count = 0
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        name, _, value = chunk.partition(b"=")
        if len(name) + len(value) > _MAX_FIELD_BYTES:
            raise InvalidRequest(f"Field exceeded maximum size of {_MAX_FIELD_BYTES // 1024}KB.")
        count += 1
        if count > MAX_PARAMETERS:
            raise InvalidRequest(f"Too many fields. Maximum number of fields is {MAX_PARAMETERS}.")
        fields.setdefault(unquote_plus(name.decode("latin-1")), []).append(
            unquote_plus(value.decode("latin-1"))
        )
    values: dict[str, Any] = {}
    for key, items in fields.items():
        if len(items) > 1:
            raise InvalidRequest(f"Parameter {key} was given more than once")
        values[key] = items[0]
    return values


def oauth_body_schema(required: list[str], properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an OAuth endpoint: the same object as a form or as JSON, every value a
    bounded string (other parameters are ignored, RFC 6749 §3.2), at most ``MAX_PARAMETERS`` of them."""
    bounded = {"type": "string", "maxLength": MAX_PARAMETER_CHARS}
    schema = {
        "type": "object",
        "required": required,
        "properties": {name: bounded | extra for name, extra in properties.items()},
        "additionalProperties": bounded,
        "maxProperties": MAX_PARAMETERS,
    }
    return {
        "requestBody": {
            "content": {media: {"schema": schema} for media in OAUTH_MEDIA_TYPES},
            "required": True,
        }
    }

"""Parameters of the OAuth endpoints (token, revocation, introspection), read one way everywhere.

Form-encoded bodies (RFC 6749 §4-6, RFC 7009 §2.1, RFC 7662 §2.1) and, for convenience, JSON objects. A
parameter given twice is refused rather than one copy picked (parsers disagree on which), and every value must
be a bounded string.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from tokenward.errors import InvalidRequest

_MAX_FIELD = 4096


async def read_oauth_parameters(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        form = await request.form(max_files=0, max_fields=20)
        values: dict[str, Any] = {}
        for key in form:
            items = form.getlist(key)
            if len(items) > 1:
                raise InvalidRequest(f"Parameter {key} was given more than once")
            values[key] = items[0]
    elif content_type == "application/json":
        try:
            values = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequest("The body is not valid JSON") from exc
        if not isinstance(values, dict):
            raise InvalidRequest("The body must be a JSON object")
    else:
        raise InvalidRequest("Send application/x-www-form-urlencoded or application/json")
    parameters: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(value, str) or len(value) > _MAX_FIELD:
            raise InvalidRequest(f"Parameter {key} must be a string of at most {_MAX_FIELD} characters")
        parameters[key] = value
    return parameters

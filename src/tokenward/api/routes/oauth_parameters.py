"""Parameters of the OAuth endpoints (token, revocation, introspection), read one way everywhere.

Form-encoded bodies (RFC 6749 §4-6, RFC 7009 §2.1, RFC 7662 §2.1) and, for convenience, JSON objects decoded by
the one JSON decoder (``api.json_body``). A body of any other media type, or with none, is 415. A parameter
given twice is refused rather than one copy picked (parsers disagree on which), and every value must be a
bounded string. ``oauth_body_schema`` documents exactly this in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException

from tokenward.api.json_body import FORM_MEDIA_TYPE, JSON_MEDIA_TYPE, decode_json_body, require_media_type
from tokenward.errors import InvalidRequest

MAX_PARAMETER_CHARS = 4096
MAX_PARAMETERS = 20
OAUTH_MEDIA_TYPES = (FORM_MEDIA_TYPE, JSON_MEDIA_TYPE)


async def read_oauth_parameters(request: Request) -> dict[str, str]:
    body = await request.body()
    if not body:
        return {}  # no parameters at all: the route says which one is missing
    kind = require_media_type(request.headers.get("content-type"), OAUTH_MEDIA_TYPES, method=request.method)
    values = await _form(request) if kind == FORM_MEDIA_TYPE else decode_json_body(body)
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


async def _form(request: Request) -> dict[str, Any]:
    try:
        form = await request.form(max_files=0, max_fields=MAX_PARAMETERS)
    except HTTPException as exc:  # Starlette's refusal of too many fields
        raise InvalidRequest(str(exc.detail)) from None
    values: dict[str, Any] = {}
    for key in form:
        items = form.getlist(key)
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

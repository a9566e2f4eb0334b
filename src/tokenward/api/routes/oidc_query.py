"""The query string of the browser-facing OpenID Connect endpoints (``/oauth/authorize``, ``/oauth/logout``),
read and documented from one description.

Each known parameter is printable ASCII (RFC 6749 Appendix A: VSCHAR, NQCHAR, URIs; an ID token hint: the
characters of a JWT) and has a length limit;
together the limits keep the longest valid URL well under ``TOKENWARD_MAX_HEADER_BYTES``, so that a valid
request is never refused for its size. A parameter given twice is refused (parsers disagree on which copy
counts), and so is a request with too many. Parameters this server does not know are ignored, as RFC 6749
§3.1 asks, within a length limit. The OpenAPI document states the same limits (``openapi``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

MAX_PARAMETERS = 30
#: an unknown parameter is ignored, but not without bound
MAX_OTHER_VALUE = 4096
PRINTABLE_ASCII = "[\\x20-\\x7e]"
#: base64url and dots: a JWT
JWT_CHARACTERS = "[A-Za-z0-9_.-]"


@dataclass(frozen=True, slots=True)
class QueryParameter:
    name: str
    max_length: int
    required: bool = False
    #: a regular-expression class every character must match
    characters: str = PRINTABLE_ASCII
    #: added to the parameter's OpenAPI schema (``enum``, ``description``)
    schema: dict[str, Any] = field(default_factory=dict)


class QuerySpec:
    def __init__(self, *parameters: QueryParameter) -> None:
        self._parameters = {parameter.name: parameter for parameter in parameters}

    def read(self, request: Request) -> dict[str, str] | None:
        """The parameters, or ``None`` when the query breaks a rule of the module docstring."""
        items = request.query_params.multi_items()
        params = dict(items)
        if len(params) != len(items) or len(items) > MAX_PARAMETERS:
            return None
        for name, value in params.items():
            known = self._parameters.get(name)
            if known is None:
                if len(value) > MAX_OTHER_VALUE:
                    return None
            elif len(value) > known.max_length or not re.fullmatch(f"{known.characters}*", value):
                return None
        return params

    def openapi(self) -> dict[str, Any]:
        """``openapi_extra`` for the operation: its query parameters."""
        return {
            "parameters": [
                {
                    "name": parameter.name,
                    "in": "query",
                    "required": parameter.required,
                    "schema": {
                        "type": "string",
                        "maxLength": parameter.max_length,
                        "pattern": f"^{parameter.characters}*$",
                    }
                    | parameter.schema,
                }
                for parameter in self._parameters.values()
            ]
        }

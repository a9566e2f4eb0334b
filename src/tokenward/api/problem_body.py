"""The one builder of error bodies: RFC 9457 problem documents, and the RFC 6749 error shape on ``/oauth/*``.

Three places answer a refusal: the exception handlers (``problems``), the ASGI middleware that refuses oversized
requests before any route runs (``middleware``), and the HTTP protocol that refuses an endless request head
before the ASGI app sees it (``tokenward.http_server``). All three ask this module for the body, so a problem
document has the same fields wherever it comes from. This module needs neither FastAPI nor Starlette, so the
HTTP protocol can use it without loading the web framework.

The fields come from the ``TokenwardError`` (``code``, ``status``, ``title``, ``detail``, ``oauth_error``,
``extensions()``); the headers the error needs (``Retry-After`` ...) come from its ``headers()``, and each
caller adds its own (the handlers add ``Cache-Control: no-store``, the early refusals ``Connection: close``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tokenward.errors import TokenwardError

PROBLEM_TYPE_BASE = "https://tokenward.dev/problems/"
PROBLEM_JSON = "application/problem+json"
#: RFC 6749 §5.2: the OAuth endpoints answer errors as plain JSON
OAUTH_ERROR_JSON = "application/json"
OAUTH_PATH_PREFIX = "/oauth/"


def is_oauth_path(path: str) -> bool:
    """The OAuth endpoints answer in the RFC 6749 shape, every other path with a problem document."""
    return path.startswith(OAUTH_PATH_PREFIX)


@dataclass(frozen=True, slots=True)
class ProblemBody:
    """What an error answer says: the status, the JSON document and its media type."""

    status: int
    document: dict[str, Any]
    media_type: str

    def encode(self) -> bytes:
        """The document as bytes, for the answers written below the web framework (middleware, protocol)."""
        return json.dumps(self.document).encode()


def answer_status(error: type[TokenwardError] | TokenwardError, *, oauth: bool) -> int:
    """The status an error is answered with (the OpenAPI document asks this too)."""
    # RFC 6749 §5.2: on the OAuth endpoints a failed client authentication is 401, whatever else it says
    if oauth and error.oauth_error == "invalid_client":
        return 401
    return error.status


def problem_body(error: TokenwardError, *, oauth: bool) -> ProblemBody:
    """The body for ``error``: the RFC 6749 shape when ``oauth``, an RFC 9457 problem document otherwise."""
    if oauth:
        return ProblemBody(
            answer_status(error, oauth=True),
            {"error": error.oauth_error, "error_description": error.detail},
            OAUTH_ERROR_JSON,
        )
    document: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
    }
    for name, value in error.extensions().items():
        document.setdefault(name, value)  # an extension never overrides a standard member
    return ProblemBody(error.status, document, PROBLEM_JSON)

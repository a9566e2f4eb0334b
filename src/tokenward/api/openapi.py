"""The OpenAPI document (``/openapi.json``), made to say what the server really answers.

FastAPI's own document lists a ``422 HTTPValidationError`` for every operation with input, an answer this
server never gives (validation errors are 400 ``invalid_request`` problems). Here that is replaced by the
refusals each operation really raises (``refusals``), grouped by status: an RFC 9457 problem document whose
``code`` is one of the listed codes, or on ``/oauth/*`` the RFC 6749 error object whose ``error`` is. The
schemathesis run in the test suite (tests/api/test_openapi_fuzz.py) holds the document to this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from tokenward.api.problem_body import OAUTH_ERROR_JSON, PROBLEM_JSON, answer_status, is_oauth_path
from tokenward.api.refusals import operation_refusals
from tokenward.errors import (
    AuthenticationRequired,
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    RateLimited,
    RetryLater,
    TokenwardError,
    UnsupportedMediaType,
)

_STRING = {"type": "string"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "description": "An RFC 9457 problem document; `code` is stable and the one to act on.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": _STRING,
            "status": {"type": "integer"},
            "detail": _STRING,
            "code": _STRING,
            "reasons": {
                "type": "array",
                "items": _STRING,
                "description": "`password_rejected` only: every rule the new password breaks",
            },
        },
    },
    "OAuthError": {
        "type": "object",
        "description": "The error object of RFC 6749 §5.2, answered by the /oauth/* endpoints.",
        "required": ["error", "error_description"],
        "properties": {"error": _STRING, "error_description": _STRING},
    },
}
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")
_HEADER = {"schema": _STRING}
#: response headers a refusal carries (its ``headers()``), as the document describes them
_HEADERS: tuple[tuple[type[TokenwardError], str, str], ...] = (
    (RetryLater, "Retry-After", "Seconds to wait before trying again"),
    (RateLimited, "RateLimit", "What remains of the limit (draft-ietf-httpapi-ratelimit-headers)"),
    (RateLimited, "RateLimit-Policy", "The limit's quota and window"),
    (AuthenticationRequired, "WWW-Authenticate", "The authentication scheme to use"),
    (InvalidToken, "WWW-Authenticate", "The authentication scheme to use"),
    (InsufficientScope, "WWW-Authenticate", "The authentication scheme to use"),
    (InvalidClient, "WWW-Authenticate", "The authentication scheme to use"),
)


def install_openapi(app: FastAPI) -> None:
    """Serve ``build_document`` as the app's OpenAPI document, built once on first request."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _UNUSED_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(SCHEMAS)
    for route in iter_route_contexts(app.routes):
        path = route.path_format
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema or path is None:
            continue
        refusals = operation_refusals(route)
        oauth = is_oauth_path(path)
        for method in route.methods or ():
            responses = document["paths"][path][method.lower()]["responses"]
            responses.pop("422", None)  # FastAPI's HTTPValidationError, never answered
            for status, errors in _by_status(refusals, oauth=oauth).items():
                responses[str(status)] = _error_response(errors, oauth=oauth, method=method)
    return document


def _by_status(
    errors: Iterable[type[TokenwardError]], *, oauth: bool
) -> dict[int, list[type[TokenwardError]]]:
    grouped: dict[int, list[type[TokenwardError]]] = {}
    for error in errors:
        grouped.setdefault(answer_status(error, oauth=oauth), []).append(error)
    return dict(sorted(grouped.items()))


def _error_response(errors: list[type[TokenwardError]], *, oauth: bool, method: str) -> dict[str, Any]:
    """One status's response: the codes it may carry, their shape, and the headers they add."""
    member, media, shape = (
        ("error", OAUTH_ERROR_JSON, "OAuthError") if oauth else ("code", PROBLEM_JSON, "Problem")
    )
    values = sorted({error.oauth_error if oauth else error.code for error in errors})
    schema = {
        "allOf": [
            {"$ref": f"#/components/schemas/{shape}"},
            {"type": "object", "properties": {member: {"type": "string", "enum": values}}},
        ]
    }
    response: dict[str, Any] = {
        "description": "Refused: " + ", ".join(f"`{value}`" for value in values),
        "content": {media: {"schema": schema}},
    }
    headers = {
        name: {"description": description} | _HEADER
        for error in errors
        for kind, name, description in _HEADERS
        if issubclass(error, kind)
    }
    if UnsupportedMediaType in errors:
        headers |= {
            name: {"description": "The media types the operation reads"} | _HEADER
            for name in UnsupportedMediaType((), method=method).headers()
        }
    if headers:
        response["headers"] = headers
    return response

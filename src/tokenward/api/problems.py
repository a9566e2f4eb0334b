"""One error shape: RFC 9457 problem documents, and the RFC 6749 shape on ``/oauth/*``.

Every refusal is a ``TokenwardError`` raised somewhere below; this module alone turns it into a response.
Validation errors never echo the submitted input (it may be a password), and unexpected exceptions become a
bare 500 with no stack trace.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from structlog import get_logger

from tokenward.errors import (
    AuthenticationRequired,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    PasswordRejected,
    RateLimited,
    RetryLater,
    TokenwardError,
)

PROBLEM_TYPE_BASE = "https://tokenward.dev/problems/"
_log = get_logger("tokenward.api")


def _is_oauth(request: Request) -> bool:
    return request.url.path.startswith("/oauth/")


def problem_response(error: TokenwardError, request: Request) -> JSONResponse:
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if isinstance(error, RetryLater):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, RateLimited):
        headers["RateLimit-Policy"] = f'"{error.policy}";q={error.limit};w={error.window}'
        headers["RateLimit"] = f'"{error.policy}";r=0;t={error.retry_after}'
    if isinstance(error, InvalidToken):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    elif isinstance(error, InsufficientScope):
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    elif isinstance(error, AuthenticationRequired):
        headers["WWW-Authenticate"] = "Bearer"
    if _is_oauth(request):
        status = error.status
        if error.oauth_error == "invalid_client":
            status = 401
        return JSONResponse(
            {"error": error.oauth_error, "error_description": error.detail},
            status_code=status,
            headers=headers,
        )
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
    }
    if isinstance(error, PasswordRejected):
        body["reasons"] = error.reasons
    return JSONResponse(
        body, status_code=error.status, headers=headers, media_type="application/problem+json"
    )


def _validation_message(exc: RequestValidationError) -> str:
    """Name the fields and what is wrong, never the values that were sent."""
    parts = []
    for err in exc.errors()[:10]:
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{location or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"


def install_error_handlers(app: FastAPI) -> None:
    async def on_tokenward_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TokenwardError)
        return problem_response(exc, request)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(InvalidRequest(_validation_message(exc)), request)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = TokenwardError(str(exc.detail))
        error.status = exc.status_code
        error.code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
            exc.status_code, "http_error"
        )
        error.title = (
            "Request body too large" if exc.status_code == 413 else error.code.replace("_", " ").capitalize()
        )
        error.oauth_error = "invalid_request"
        return problem_response(error, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
        return problem_response(TokenwardError(), request)

    app.add_exception_handler(TokenwardError, on_tokenward_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)

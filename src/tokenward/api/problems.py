"""Exception handlers: every refusal becomes one error answer, built by ``problem_body``.

Every refusal is a ``TokenwardError`` raised somewhere below; the handlers here turn it (and the framework's own
exceptions) into a response. Validation errors never echo the submitted input (it may be a password), and
unexpected exceptions become a bare 500 with no stack trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from structlog import get_logger

from tokenward.api.problem_body import is_oauth_path, problem_body
from tokenward.api.routing import allowed_methods
from tokenward.errors import (
    InvalidRequest,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    TokenwardError,
)

if TYPE_CHECKING:  # services imports last_resort, which imports this module
    from tokenward.api.services import ApiConfig

_log = get_logger("tokenward.api")
#: an error answer is about this request only; no cache may keep it
ERROR_CACHE_HEADERS = {"Cache-Control": "no-store"}


def problem_response(error: TokenwardError, request: Request) -> JSONResponse:
    body = problem_body(error, oauth=is_oauth_path(request.url.path))
    return JSONResponse(
        body.document,
        status_code=body.status,
        headers=ERROR_CACHE_HEADERS | error.headers(),
        media_type=body.media_type,
    )


class _OtherHttpError(TokenwardError):
    """A framework ``HTTPException`` with no class of its own here: its status, a code saying only that."""

    code = "http_error"
    title = "Http error"
    oauth_error = "invalid_request"

    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        super().__init__(detail)


def _from_http_exception(exc: StarletteHTTPException) -> TokenwardError:
    detail = str(exc.detail)
    if exc.status_code == 404:
        return NotFound(detail)
    if exc.status_code == 405:
        return MethodNotAllowed(detail, allow=(exc.headers or {}).get("Allow"))
    if exc.status_code == 413:
        return RequestTooLarge(detail)
    return _OtherHttpError(exc.status_code, detail)


def _validation_message(exc: RequestValidationError) -> str:
    """Name the fields and what is wrong, never the values that were sent."""
    parts = []
    for err in exc.errors()[:10]:
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{location or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"


def _token_refusal(error: InvalidToken, request: Request) -> InvalidToken:
    """Log the rule a refused token broke; in production, answer without naming it (a prober learns nothing)."""
    _log.info("access_token_refused", reason=error.reason, path=request.url.path)
    config: ApiConfig = request.app.state.config
    return error if config.explain_token_refusals else error.concealed()


def install_error_handlers(app: FastAPI) -> None:
    async def on_tokenward_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TokenwardError)
        if isinstance(exc, InvalidToken):
            exc = _token_refusal(exc, request)
        return problem_response(exc, request)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(InvalidRequest(_validation_message(exc)), request)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = _from_http_exception(exc)
        if isinstance(error, MethodNotAllowed):
            # the framework's Allow names the methods of the first route on the path only
            error.allow = allowed_methods(request.app, request.scope) or error.allow
        return problem_response(error, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
        return problem_response(TokenwardError(), request)

    app.add_exception_handler(TokenwardError, on_tokenward_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)

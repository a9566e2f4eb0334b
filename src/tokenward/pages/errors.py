"""Refusals on the hosted pages are pages too: the API's wording and status, in HTML.

The API's handlers stay in charge of every other path; these wrap them and take over only under ``/account``.
A refusal written before any route runs (an oversized form or header block) is a page there too: the size
limit asks ``early_refusal_page``, which ``install_page_error_handlers`` puts on the application's state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tokenward.api.auth import get_context
from tokenward.errors import TokenwardError
from tokenward.pages.page import Page
from tokenward.pages.session import PAGE_COOKIE, PageSessionSeal
from tokenward.pages.signed_in import PageSignedOut

PAGES_PREFIX = "/account"
Handler = Callable[[Request, Exception], Awaitable[Response]]


def _api_handler(app: FastAPI, kind: type[Exception]) -> Handler:
    handler = app.exception_handlers[kind]

    async def call(request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        return answer if isinstance(answer, Response) else await answer

    return call


TITLES = {
    400: "Request refused",
    403: "Request refused",
    404: "Page not found",
    405: "Not allowed",
    413: "Too much data",
    431: "Too much data",
    429: "Too many attempts",
    503: "Please try again shortly",
}


#: what a visitor can do about a refusal the API words for programs
NEXT_STEPS = {
    413: "Go back, shorten what you entered and try again.",
    431: "Clear this site's cookies in your browser and try again.",
}


def is_page_path(path: str) -> bool:
    return path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")


async def error_page(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    services = request.app.state.services
    session = PageSessionSeal(services.page_secret).open(request.cookies.get(PAGE_COOKIE))
    page = Page(request, services, await get_context(request), session)
    if status in NEXT_STEPS:
        message = f"{message.rstrip('.')}. {NEXT_STEPS[status]}"
    response = page.render(
        "message.html",
        status,
        title=TITLES.get(status, "Something went wrong"),
        message=message,
        next_url=None,
    )
    response.headers.update(headers)
    return response


async def early_refusal_page(request: Request, error: TokenwardError) -> Response | None:
    """The page for a refusal the size limit writes before any route runs; ``None`` outside the pages."""
    if not is_page_path(request.url.path):
        return None
    return await error_page(request, error.status, error.detail, error.headers())


def install_page_error_handlers(app: FastAPI) -> None:
    api_error = _api_handler(app, TokenwardError)
    api_http_error = _api_handler(app, StarletteHTTPException)

    async def on_error(request: Request, exc: Exception) -> Response:
        if not is_page_path(request.url.path) or not isinstance(exc, TokenwardError):
            return await api_error(request, exc)
        return await error_page(request, exc.status, exc.detail, exc.headers())

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if not is_page_path(request.url.path) or not isinstance(exc, StarletteHTTPException):
            return await api_http_error(request, exc)
        message = {404: "There is no page at this address.", 405: "This page cannot be used that way."}.get(
            exc.status_code, str(exc.detail)
        )
        return await error_page(request, exc.status_code, message, {})

    async def on_signed_out(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageSignedOut)
        return exc.answer()

    app.state.early_refusal_page = early_refusal_page
    app.add_exception_handler(PageSignedOut, on_signed_out)
    app.add_exception_handler(TokenwardError, on_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

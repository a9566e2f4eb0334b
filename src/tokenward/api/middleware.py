"""The application's own middleware, one pure-ASGI pass (``EdgeMiddleware``): security headers on every answer,
CORS, the limits on request heads and bodies, and the last resort for exceptions that escaped every route.

Pure ASGI (not BaseHTTPMiddleware) so streaming bodies are counted as they arrive: a body larger than the
limit is refused with 413 as soon as it crosses the limit, whatever ``Content-Length`` claimed.

A refusal written here comes before any route, so the exception handlers never see it. It is a problem
document, unless the application installed an ``EarlyRefusalPage`` on ``app.state.early_refusal_page`` that
answers for the path: the hosted pages do, so a browser that posted an oversized form gets a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tokenward.api.cors import CorsPolicy
from tokenward.api.problem_body import is_oauth_path, problem_body
from tokenward.api.problems import problem_response
from tokenward.api.services import ApiConfig
from tokenward.errors import RequestHeadersTooLarge, RequestTooLarge, TokenwardError

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

#: the answer to a refusal written before any route runs, for a path whose answers are not problem documents;
#: ``None`` leaves the path to the problem document
EarlyRefusalPage = Callable[[Request, TokenwardError], Awaitable[Response | None]]


def security_headers(*, hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries (Strict-Transport-Security when the issuer is https)."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", API_CSP.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"interest-cohort=()"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


class _TooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so that FastAPI's body parsing lets it through as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=RequestTooLarge.beyond(limit).detail)


class EdgeMiddleware:
    """Everything around the routes, in one pass (one wrapper of ``send``, one of ``receive``):

    - security headers on every answer, and the ``RateLimit`` headers a route's limit check left in the request
      state (``rate_limit_headers``), whatever kind of answer the route ended with; a header the answer
      already has is kept as it is;
    - CORS (``api.cors``): ``OPTIONS`` answered here, the CORS headers on every other answer of a CORS route;
    - the size limits: an oversized header block (431) or body (413) refused before any route runs, a body
      counted as it arrives whatever ``Content-Length`` claimed;
    - the last resort (``api.last_resort``): an exception that escaped every route answered in the route's
      shape, never raised to the HTTP server.

    The refusals written here get the CORS and security headers like any answer, and a preflight answer
    gets the security headers. These used to be four middleware layers, each wrapping ``send``.
    """

    def __init__(self, app: ASGIApp, *, config: ApiConfig) -> None:
        self.app = app
        self.headers = security_headers(hsts=config.hsts)
        self.cors = CorsPolicy(config.browser)
        self.max_bytes = config.max_body_bytes
        self.max_header_bytes = config.max_header_bytes
        self._triage = config.triage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        cors = [] if scope["method"] == "OPTIONS" else await self.cors.headers(scope)

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", [])) + cors
                existing = {name.lower() for name, _ in headers}
                rate_limit: dict[str, str] = scope.get("state", {}).get("rate_limit_headers", {})
                extra = self.headers + [
                    (name.lower().encode(), value.encode()) for name, value in rate_limit.items()
                ]
                message["headers"] = headers + [
                    (name, value) for name, value in extra if name not in existing
                ]
            await send(message)

        if scope["method"] == "OPTIONS":
            await self.cors.options(scope, send_with_headers)
            return
        refusal = self._head_refusal(scope)
        if refusal is not None:
            await _refuse(scope, send_with_headers, refusal)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await _refuse(scope, send_with_headers, RequestTooLarge.beyond(self.max_bytes))
        except Exception as exc:
            error = self._triage(exc, scope.get("path", ""))
            if not started:
                await problem_response(error, Request(scope))(scope, receive, send_with_headers)

    def _head_refusal(self, scope: Scope) -> TokenwardError | None:
        """431 for too large a header block, 413 for a ``Content-Length`` beyond the limit (or unreadable)."""
        headers = scope.get("headers", [])
        if sum(len(name) + len(value) for name, value in headers) > self.max_header_bytes:
            return RequestHeadersTooLarge.beyond(self.max_header_bytes)
        for name, value in headers:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    return RequestTooLarge.beyond(self.max_bytes)
        return None


async def _refuse(scope: Scope, send: Send, error: TokenwardError) -> None:
    """Answer before any route runs, and close: the rest of what the client sends is not read."""
    app = scope.get("app")
    render: EarlyRefusalPage | None = getattr(getattr(app, "state", None), "early_refusal_page", None)
    if render is not None:
        page = await render(Request(scope), error)
        if page is not None:
            page.headers["connection"] = "close"
            await page(scope, _no_body, send)
            return
    body = problem_body(error, oauth=is_oauth_path(scope["path"]))
    content = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": body.status,
            "headers": [
                (b"content-type", body.media_type.encode()),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


async def _no_body() -> Message:
    """The ``receive`` of an answer that reads nothing more of the request."""
    return {"type": "http.disconnect"}

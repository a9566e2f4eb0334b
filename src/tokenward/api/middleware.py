"""Pure ASGI middleware: security headers on every response and a hard limit on request body size.

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

from tokenward.api.problem_body import is_oauth_path, problem_body
from tokenward.errors import RequestHeadersTooLarge, RequestTooLarge, TokenwardError

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

#: the answer to a refusal written before any route runs, for a path whose answers are not problem documents;
#: ``None`` leaves the path to the problem document
EarlyRefusalPage = Callable[[Request, TokenwardError], Awaitable[Response | None]]


class ResponseHeadersMiddleware:
    """Security headers on every answer, and the ``RateLimit`` headers a route's limit check left in the
    request state (``rate_limit``), whatever kind of answer the route ended with. A header the answer already
    has is kept as it is."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", API_CSP.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"interest-cohort=()"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                rate_limit: dict[str, str] = scope.get("state", {}).get("rate_limit_headers", {})
                extra = self.headers + [
                    (name.lower().encode(), value.encode()) for name, value in rate_limit.items()
                ]
                headers = list(message.get("headers", []))
                existing = {name.lower() for name, _ in headers}
                message["headers"] = headers + [
                    (name, value) for name, value in extra if name not in existing
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so that FastAPI's body parsing lets it through as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=RequestTooLarge.beyond(limit).detail)


class RequestSizeLimitMiddleware:
    """Refuses oversized header blocks (431) and bodies (413) before any route runs."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        if sum(len(name) + len(value) for name, value in headers) > self.max_header_bytes:
            await _refuse(scope, send, RequestHeadersTooLarge.beyond(self.max_header_bytes))
            return
        for name, value in headers:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await _refuse(scope, send, RequestTooLarge.beyond(self.max_bytes))
                    return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await _refuse(scope, send, RequestTooLarge.beyond(self.max_bytes))


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

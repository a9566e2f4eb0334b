"""The last resort: no exception ever reaches the HTTP server.

Starlette's outermost error middleware answers an unexpected exception with a 500 and then raises it again
to the server, which logs a traceback and closes the connection: a keep-alive client loses its connection
with the answer, and an outage writes one traceback per request. This middleware sits inside it and catches
first, so nothing is raised further:

- an error that shows a dependency down (one that escaped the adapters' own translation) becomes
  ``503 dependency_unavailable`` with ``Retry-After`` and is reported to the health tracker;
- anything else becomes a bare ``500 internal_error``, logged in one line, with its traceback at most once a
  minute per distinct error.

Either answer has the shape of its route (problem document, or RFC 6749 on ``/oauth/*``). An exception after
the answer began cannot be answered any more; the server then closes that one connection.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tokenward.adapters.dependencies import unavailable, unavailable_dependency
from tokenward.adapters.health import DependencyHealth, describe, process_health
from tokenward.adapters.logging import get_logger
from tokenward.api.problems import problem_response
from tokenward.errors import TokenwardError

_log = get_logger("tokenward.api")


class LastResortMiddleware:
    def __init__(self, app: ASGIApp, *, health: DependencyHealth | None = None) -> None:
        self.app = app
        self._health = health or process_health()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error = self._refusal(exc, scope)
            if not started:
                await problem_response(error, Request(scope))(scope, receive, send)

    def _refusal(self, exc: Exception, scope: Scope) -> TokenwardError:
        dependency = unavailable_dependency(exc)
        if dependency is not None:
            return unavailable(dependency, exc, self._health)
        traceback = exc if self._health.tracebacks.allow("unhandled", exc) else None
        _log.error("unhandled_error", path=scope.get("path", ""), cause=describe(exc), exc_info=traceback)
        return TokenwardError()

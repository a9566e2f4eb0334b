"""The hot routes without FastAPI's routing: ``POST /oauth/token``, ``POST /oauth/introspect`` and
``POST /v1/login``.

Every refresh, introspection and sign-in used to pay for FastAPI matching the path against every route,
solving the dependency tree (services, request context, transports, the rate limit), and the exception and
exit-stack middleware around the router: together more than the rest of the request (bench/README.md, issue
11). The OAuth operations read their own body (``routes.oauth_parameters``); the sign-in's body goes through
the same JSON decoder and model validation FastAPI would run, in FastAPI's order. This layer, behind the edge
pass and ahead of the framework's stack (``HotRoutesFirst``), calls the very same route functions directly
with the same arguments FastAPI would resolve, in the same order (the route's rate limit first, after the body
is decoded for the sign-in), and turns a refusal into an answer with the application's own exception handlers.
What the routes do, their answers and their OpenAPI description stay theirs (``routes.oauth``,
``routes.oauth_lifecycle``, ``routes.accounts``); anything else (another method, a trailing slash, a root
path) goes through FastAPI as before. An exception no handler takes goes up to the last resort of
``api.middleware.EdgeMiddleware``, as it does from FastAPI.

``tests/api/test_hot_routes.py`` plays the same requests through this path and through FastAPI's and
compares the answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tokenward.api.auth import get_context
from tokenward.api.rate_limit import rate_limited
from tokenward.api.routes import accounts, oauth, oauth_lifecycle
from tokenward.api.routing import decoded_json_request
from tokenward.api.schemas import LoginRequest
from tokenward.api.services import ApiServices
from tokenward.domain.context import RequestContext

#: calls one route function with what FastAPI would have resolved for it
Endpoint = Callable[[Request, ApiServices, RequestContext], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


async def _token(request: Request, services: ApiServices, context: RequestContext) -> Response:
    transports = request.app.state.transports
    authorization = request.headers.get("authorization")
    return await oauth.token(request, services, transports, context, authorization)


async def _introspect(request: Request, services: ApiServices, context: RequestContext) -> Response:
    return await oauth_lifecycle.introspect(request, services, request.headers.get("authorization"))


_LOGIN_LIMIT = rate_limited("login")


async def _login(request: Request, services: ApiServices, context: RequestContext) -> Response:
    """``POST /v1/login`` as FastAPI runs it: the body through the one JSON decoder (``api.routing``) and
    ``LoginRequest``'s validation, refusals as ``RequestValidationError`` with FastAPI's locations; a model
    the route returns is serialised with the headers it set, as FastAPI does with ``response_model``."""
    decoded = await decoded_json_request(request)
    # FastAPI's order: the route class decodes the body, then the dependencies run (the limit first), then
    # the body is validated; only an empty body is a missing one
    await _LOGIN_LIMIT(services, context, decoded)
    if not await decoded.body():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        login_request = LoginRequest.model_validate(
            await decoded.json(), from_attributes=True
        )  # as FastAPI does
    except ValidationError as invalid:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in invalid.errors(include_url=False)]
        ) from None
    # what the route sets on its ``response`` parameter, as FastAPI's sub-response: no length of its own
    headers = Response()
    del headers.headers["content-length"]
    answer = await accounts.login(
        decoded, login_request, services, request.app.state.transports, context, headers
    )
    if isinstance(answer, Response):
        return answer
    response = JSONResponse(answer.model_dump(mode="json"))
    response.headers.update(headers.headers)
    return response


#: path -> (the route's rate limit dependency, the route); the limits are the routes' own (see the decorators);
#: ``None``: the route counts itself where FastAPI would (the sign-in, after its body is decoded)
HOT_ROUTES: dict[str, tuple[Callable[..., Awaitable[None]] | None, Endpoint]] = {
    "/oauth/token": (rate_limited("refresh"), _token),
    "/oauth/introspect": (rate_limited("introspect"), _introspect),
    "/v1/login": (None, _login),
}


class HotRoutesMiddleware:
    """Answers the hot routes itself; passes everything else on to FastAPI (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._handlers: dict[Any, Handler] | None = None

    @staticmethod
    def takes(scope: Scope) -> bool:
        """Whether this request is one of the hot routes' (a POST to one of their paths, no root path)."""
        return (
            scope["type"] == "http"
            and scope["path"] in HOT_ROUTES
            and scope["method"] == "POST"
            and not scope.get("root_path")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.takes(scope):
            await self.app(scope, receive, send)
            return
        limit, endpoint = HOT_ROUTES[scope["path"]]
        request = Request(scope, receive)
        try:
            services: ApiServices = request.app.state.services
            context = await get_context(request)
            if limit is not None:
                await limit(services, context, request)
            response = await endpoint(request, services, context)
        except Exception as exc:
            response = await self._handle(request, exc)
        await response(scope, receive, send)

    async def _handle(self, request: Request, exc: Exception) -> Response:
        """The application's handler for the exception, looked up as Starlette's ``ExceptionMiddleware``
        does (the class and then its bases); without one the exception goes on up."""
        if self._handlers is None:
            self._handlers = {
                kind: handler
                for kind, handler in request.app.exception_handlers.items()
                if kind not in (500, Exception)
            }
        for kind in type(exc).__mro__:
            handler = self._handlers.get(kind)
            if handler is not None:
                return await handler(request, exc)
        raise exc


class HotRoutesFirst:
    """The application's outermost layer: a hot route's request goes to the edge pass and the hot routes
    straight away; every other request to the framework's stack, where the same edge pass wraps FastAPI's routing.

    Starlette's stack puts three layers of its own around an application's middleware (the server-error
    handler, FastAPI's telemetry and its body limit): none of them has anything to do for a hot route, whose
    exceptions the edge pass's last resort answers and whose size it limits (about 5% of a refresh's CPU)."""

    def __init__(self, stack: ASGIApp, hot: ASGIApp) -> None:
        self.stack = stack
        self.hot = hot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if HotRoutesMiddleware.takes(scope):
            await self.hot(scope, receive, send)
        else:
            await self.stack(scope, receive, send)

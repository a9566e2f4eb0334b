"""How every route reads its JSON body, and which methods a path has.

``JsonBodyRoute`` is the route class of every router: an operation that takes a JSON body checks the
``Content-Type`` (415 unless ``application/json``) and decodes the body with ``json_body.decode_json_body``
before FastAPI validates it, so FastAPI's own ``json.loads`` (unbounded depth and numbers, last duplicate key
wins) never sees a request body. The refusals are raised before FastAPI's body handling, which would turn them
into a generic 400, so they reach the error handlers as themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response, params
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match
from starlette.types import Scope

from tokenward.api.json_body import JSON_MEDIA_TYPE, decode_json_body, require_media_type

_UNREAD = object()


class DecodedJsonRequest(Request):
    """A request whose ``json()`` is the one decoder's; FastAPI calls it to read a JSON body."""

    _decoded: Any = _UNREAD

    async def json(self) -> Any:
        if self._decoded is _UNREAD:
            self._decoded = decode_json_body(await self.body())
        return self._decoded


def takes_json_body(route: Any) -> bool:
    """Whether an API route (or FastAPI route context) reads a JSON request body."""
    body_field = getattr(route, "body_field", None)
    return body_field is not None and not isinstance(body_field.field_info, params.Form)


async def decoded_json_request(request: Request) -> DecodedJsonRequest:
    """The request with its JSON body checked and decoded by the one decoder (415 unless ``application/json``);
    an empty body is no body: FastAPI then answers "required" or uses the default (optional bodies)."""
    decoded = DecodedJsonRequest(request.scope, request.receive)
    if await decoded.body():
        require_media_type(decoded.headers.get("content-type"), (JSON_MEDIA_TYPE,), method=decoded.method)
        await decoded.json()
    return decoded


class JsonBodyRoute(APIRoute):
    """An ``APIRoute`` that reads a JSON body only through ``decode_json_body`` (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not takes_json_body(self):
            return handler

        async def decode_then_handle(request: Request) -> Response:
            return await handler(await decoded_json_request(request))

        return decode_then_handle


def allowed_methods(app: FastAPI, scope: Scope) -> str | None:
    """The ``Allow`` value for the request's path: the methods of every route on it (several routes may share
    a path, one per method, so the route that happened to match first does not know them all)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods)) or None

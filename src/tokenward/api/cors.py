"""CORS with an exact allow-list of origins, and ``OPTIONS`` for every route.

Only the routes a browser app calls take part (``/v1/*``, the refresh and revocation endpoints, discovery);
introspection, metrics, health and the hosted pages never answer another origin. For an allowed origin a
preflight gets the methods the route really accepts, the request headers the API reads, credentials and a
``Max-Age``; every answer on a CORS route carries ``Vary: Origin`` because it depends on it. Another origin gets
no CORS header at all, so its script can neither send credentialed requests nor read answers. ``*`` is never
sent: with credentials it would hand every site the user's session.

The origins of registered public clients' redirect URIs (single-page apps doing the code flow themselves) get
CORS too, without credentials, on what such an app calls: discovery, JWKS, token, userinfo and revocation.

An ``OPTIONS`` that is not a CORS preflight (or is one to a route without CORS) answers ``204`` with ``Allow``.

Methods are per route, headers are one list for every route, on purpose. A method a route does not take is
refused anyway, so naming only the real ones costs nothing and tells the truth. Headers are different: letting
an allowed origin's script send a header grants nothing by itself. The CSRF proof is required by the routes
the cookie authenticates (``api.csrf``) and ignored everywhere else, ``X-Tokenward-Transport`` is read only by
the sign-in routes, and ``Authorization`` is checked by each route that needs it; the preflight is not where
any of that is decided, and a header approved on a route that ignores it is only ignored. One list lets an app
send the same headers on every call (the README's example sets ``X-Tokenward-CSRF`` once for all of them),
where per-route lists would turn a harmless extra header into a preflight failure the app can hardly debug.
Another origin gets no list at all.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import Scope, Send

from tokenward.api.browser import BrowserConfig, origin_of

CORS_PREFIXES = ("/v1/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/userinfo")
#: what a registered public client's single-page app calls from its own origin: without credentials (it holds
#: bearer tokens, never this server's cookies)
CLIENT_CORS_PREFIXES = ("/oauth/token", "/oauth/revoke", "/.well-known/", "/userinfo")
#: what the API reads from a browser: the bearer token, JSON bodies, and the cookie transport's two headers
ALLOWED_HEADERS = ("authorization", "content-type", "x-tokenward-csrf", "x-tokenward-transport")
PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
EXPOSED_HEADERS = "Retry-After, RateLimit, RateLimit-Policy, WWW-Authenticate"


def is_cors_path(path: str) -> bool:
    return path.startswith(CORS_PREFIXES)


def route_methods(routes: list[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route accepts at the request's path, asked of the routes themselves (so included
    routers count too); empty when no route has the path."""
    return {
        method
        for method in PROBED_METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    }


class CorsPolicy:
    """The CORS decisions of one request, for ``api.middleware.EdgeMiddleware``: the answer to an ``OPTIONS``
    request (``options``), and the headers every other answer on a CORS route carries (``headers``)."""

    def __init__(self, config: BrowserConfig) -> None:
        self.config = config

    async def _origin(self, scope: Scope) -> tuple[dict[bytes, bytes], str, bool, bool]:
        """The request's headers, its ``Origin``, whether that origin gets CORS here, and with credentials."""
        path: str = scope["path"]
        headers = {name: value for name, value in scope.get("headers", [])}
        origin = headers.get(b"origin", b"").decode("latin-1")
        cors = is_cors_path(path)
        allowed = cors and origin in self.config.cors_origins
        credentials = allowed
        if cors and not allowed and origin and path.startswith(CLIENT_CORS_PREFIXES):
            allowed = origin in await _public_client_origins(scope)
        return headers, origin, allowed, credentials

    async def headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """What an answer (not to ``OPTIONS``) adds: nothing off the CORS routes, ``Vary: Origin`` on them,
        and the allow headers for an allowed origin."""
        if not is_cors_path(scope["path"]):
            return []
        _, origin, allowed, credentials = await self._origin(scope)
        extra = [(b"vary", b"Origin")]
        if allowed:
            extra += [
                *self._credentials(origin, credentials),
                (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
            ]
        return extra

    async def options(self, scope: Scope, send: Send) -> None:
        """Answer an ``OPTIONS`` request: a preflight, or the methods of the path."""
        headers, origin, allowed, credentials = await self._origin(scope)
        await self._options(scope, send, headers, origin if allowed else None, credentials)

    @staticmethod
    def _credentials(origin: str, credentials: bool = True) -> list[tuple[bytes, bytes]]:
        allow = [(b"access-control-allow-origin", origin.encode("latin-1"))]
        return [*allow, (b"access-control-allow-credentials", b"true")] if credentials else allow

    async def _options(
        self, scope: Scope, send: Send, headers: dict[bytes, bytes], origin: str | None, credentials: bool
    ) -> None:
        methods = route_methods(scope["app"].router.routes, scope)
        if not methods:
            await _answer(send, 404, [(b"content-type", b"application/problem+json")], _NOT_FOUND)
            return
        methods.add("OPTIONS")
        allow = ", ".join(sorted(methods)).encode()
        answer = [(b"allow", allow), (b"cache-control", b"no-store")]
        if is_cors_path(scope["path"]):
            answer.append((b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"))
        wanted_method = headers.get(b"access-control-request-method", b"").decode("latin-1")
        wanted_headers = {
            item.strip().lower()
            for item in headers.get(b"access-control-request-headers", b"").decode("latin-1").split(",")
            if item.strip()
        }
        if origin is not None and wanted_method in methods and wanted_headers <= set(ALLOWED_HEADERS):
            answer += [
                *self._credentials(origin, credentials),
                (b"access-control-allow-methods", allow),
                (b"access-control-allow-headers", ", ".join(ALLOWED_HEADERS).encode()),
                (b"access-control-max-age", str(self.config.cors_max_age).encode()),
            ]
        await _answer(send, 204, answer, b"")


async def _public_client_origins(scope: Scope) -> set[str]:
    """The origins of the registered public clients' redirect URIs (none before the services are up)."""
    services = getattr(scope["app"].state, "services", None)
    if services is None:
        return set()
    return {origin_of(uri) for uri in await services.clients.public_redirect_uris() if uri.startswith("http")}


_NOT_FOUND = (
    b'{"type":"https://tokenward.dev/problems/not_found","title":"Not found","status":404,'
    b'"detail":"Not Found","code":"not_found"}'
)


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

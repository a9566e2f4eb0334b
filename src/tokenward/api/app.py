"""The FastAPI application factory.

``create_app`` takes the API's configuration and a lifespan that installs ``ApiServices`` on ``app.state``;
the composition root (``bootstrap``) provides both, so nothing here builds services or reads settings.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp

from tokenward.api.browser_sign_in import NoBrowserSessions
from tokenward.api.client_ip import ClientAddressResolver
from tokenward.api.hot_routes import HotRoutesFirst, HotRoutesMiddleware
from tokenward.api.middleware import EdgeMiddleware
from tokenward.api.openapi import install_openapi
from tokenward.api.problems import install_error_handlers
from tokenward.api.routes import (
    accounts,
    admin,
    consents,
    email_change,
    health,
    mfa,
    oauth,
    oauth_lifecycle,
    oidc_authorize,
    oidc_session,
    password_reset,
    privacy,
    wellknown,
)
from tokenward.api.routes import email as email_routes
from tokenward.api.routes import factors as factor_routes
from tokenward.api.routes import passkeys as passkey_routes
from tokenward.api.routes import sessions as session_routes
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiConfig
from tokenward.api.transport import BearerTransport, CookieTransport, Transports

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class TokenwardApi(FastAPI):
    """FastAPI with the hot routes ahead of its middleware stack (``api.hot_routes.HotRoutesFirst``)."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        config: ApiConfig = self.state.config
        return HotRoutesFirst(stack, EdgeMiddleware(HotRoutesMiddleware(stack), config=config))


def create_app(config: ApiConfig, lifespan: Lifespan | None = None) -> FastAPI:
    app = TokenwardApi(
        title="Tokenward",
        version="1",
        summary="Accounts, sign-in, signed access tokens and rotating refresh tokens.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Tokenward reports through its logs and Prometheus metrics; FastAPI's OpenTelemetry hooks, on by
        # default, asked on every request whether a provider had been configured (3% of a refresh's CPU)
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    # every route reads JSON bodies with the one decoder (api.routing); routers say so with route_class too
    app.router.route_class = JsonBodyRoute
    app.state.config = config
    app.state.client_ip = ClientAddressResolver(config.trusted_proxies)
    # how tokens travel (api.transport): bearer by default, the cookie transport when a browser app asks for it
    app.state.transports = Transports(BearerTransport(), CookieTransport(config.browser))
    # who is signed in on a browser, for the authorization endpoint: the hosted pages install theirs
    app.state.browser_sessions = NoBrowserSessions()
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(accounts.router)
    app.include_router(mfa.router)
    app.include_router(factor_routes.router)
    app.include_router(passkey_routes.router)
    app.include_router(email_routes.router)
    app.include_router(email_change.router)
    app.include_router(password_reset.router)
    app.include_router(oauth.router)
    app.include_router(oauth_lifecycle.router)
    app.include_router(oidc_authorize.router)
    app.include_router(oidc_session.router)
    app.include_router(session_routes.router)
    app.include_router(consents.router)
    app.include_router(privacy.router)
    app.include_router(admin.router)
    app.include_router(wellknown.router)
    app.include_router(health.router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # headers, CORS, size limits and the last resort in one pass (api.middleware); the hot routes (refresh,
    # introspection, sign-in) get the same pass ahead of the stack, without FastAPI's routing (TokenwardApi)
    app.add_middleware(EdgeMiddleware, config=config)
    return app

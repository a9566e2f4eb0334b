"""Who is calling: the services, the request context, the transports and the authenticated principal.

The access token is read by the request's transport (``api.transport``), verified by the one strict verifier,
then its session and user are checked, so a token of a session that was logged out, revoked or whose user was
disabled is refused at once. ``AccessTokenScheme`` declares the HTTP Bearer scheme in the OpenAPI document, so
it shows which operations need a token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from tokenward.api.refusals import refuses
from tokenward.api.services import ApiServices
from tokenward.api.transport import Transports
from tokenward.domain.context import RequestContext
from tokenward.domain.sessions.service import Principal
from tokenward.errors import AuthenticationRequired, DependencyUnavailable, InvalidToken

# The dependencies below are ``async def`` although they never wait: FastAPI runs a plain ``def`` dependency in
# its thread pool, and that hand-off cost more than the rest of an introspection (bench/README.md).


class AccessTokenScheme(SecurityBase):
    """A security dependency: the access token the request presents (by whichever transport), or ``None``."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(description="An access token issued by this server")
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> str | None:
        transports: Transports = request.app.state.transports
        return transports.read_access_token(request)


access_token_scheme = AccessTokenScheme()


class ClientCredentialsScheme(SecurityBase):
    """A security dependency: the ``Authorization`` header by which a registered API client authenticates
    with HTTP Basic on ``/oauth/revoke`` and ``/oauth/introspect`` (RFC 6749 §2.3.1), or ``None``. It only
    hands the header over; ``routes.oauth_lifecycle`` decodes it. Declares the scheme in the OpenAPI document."""

    def __init__(self) -> None:
        self.model = HTTPBaseModel(
            scheme="basic",
            description="A registered API client: client id and secret, each form-urlencoded (RFC 6749 §2.3.1)",
        )
        self.scheme_name = "ClientBasic"

    async def __call__(self, request: Request) -> str | None:
        return request.headers.get("authorization")


client_credentials_scheme = ClientCredentialsScheme()


async def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


async def get_transports(request: Request) -> Transports:
    transports: Transports = request.app.state.transports
    return transports


async def get_context(request: Request) -> RequestContext:
    resolver = request.app.state.client_ip
    peer = request.client.host if request.client else None
    ip = resolver.resolve(peer, request.headers.get("x-forwarded-for"), request.headers.get("forwarded"))
    return RequestContext(ip=ip, user_agent=request.headers.get("user-agent"))


@refuses(AuthenticationRequired, InvalidToken, DependencyUnavailable)
async def get_principal(
    services: Annotated[ApiServices, Depends(get_services)],
    access_token: Annotated[str | None, Depends(access_token_scheme)],
    context: Annotated[RequestContext, Depends(get_context)],
) -> Principal:
    if access_token is None:
        raise AuthenticationRequired("An access token is required (Authorization: Bearer …)")
    try:
        return await services.sessions.authenticate(access_token)
    except InvalidToken as refused:
        if services.token_refusals is not None:
            await services.token_refusals.refused(refused.reason, context)
        raise


Services = Annotated[ApiServices, Depends(get_services)]
RequestTransports = Annotated[Transports, Depends(get_transports)]
Context = Annotated[RequestContext, Depends(get_context)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
ClientAuthorization = Annotated[str | None, Depends(client_credentials_scheme)]

"""Bearer authentication for the API's own endpoints.

The ``HTTPBearer`` scheme is declared so the OpenAPI document shows which operations need a token. The token is
verified by the one strict verifier, then its session and user are checked, so a token of a session that was
logged out, revoked or whose user was disabled is refused at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tokenward.api.services import ApiServices
from tokenward.domain.context import RequestContext
from tokenward.domain.sessions.service import Principal
from tokenward.errors import AuthenticationRequired

bearer_scheme = HTTPBearer(auto_error=False, description="An access token issued by this server")


# The dependencies below are ``async def`` although they never wait: FastAPI runs a plain ``def`` dependency in
# its thread pool, and that hand-off cost more than the rest of an introspection (bench/README.md).


async def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


async def get_context(request: Request) -> RequestContext:
    resolver = request.app.state.client_ip
    peer = request.client.host if request.client else None
    ip = resolver.resolve(peer, request.headers.get("x-forwarded-for"), request.headers.get("forwarded"))
    return RequestContext(ip=ip, user_agent=request.headers.get("user-agent"))


async def get_principal(
    services: Annotated[ApiServices, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationRequired("An access token is required (Authorization: Bearer …)")
    return await services.sessions.authenticate(credentials.credentials)


Services = Annotated[ApiServices, Depends(get_services)]
Context = Annotated[RequestContext, Depends(get_context)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]

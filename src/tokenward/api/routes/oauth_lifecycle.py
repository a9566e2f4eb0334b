"""Token revocation (RFC 7009) and introspection (RFC 7662).

``POST /oauth/revoke``: whoever holds a token may revoke it (possession is the proof, as for a public client);
a registered client may also name itself (a confidential one with its secret), which must then be right. The answer is 200 for
every token, known or not, valid or not (§2.2), so revocation cannot be used to test tokens.

``POST /oauth/introspect``: registered API clients only (HTTP Basic or ``client_id``/``client_secret`` in the
body, never both). The answer is ``{"active": false}`` for anything that is not an active token, with no reason.

Client authentication is ``api.client_auth``; failed client authentication is 401 ``invalid_client`` with
``WWW-Authenticate: Basic``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from tokenward.api.auth import Context, Services
from tokenward.api.client_auth import authenticate_client, client_credentials, client_error
from tokenward.api.rate_limit import rate_limited
from tokenward.api.routes.oauth_parameters import read_oauth_parameters
from tokenward.api.services import ApiServices
from tokenward.api.transport import NO_STORE
from tokenward.domain.clients import Client
from tokenward.errors import InvalidClient, InvalidRequest, UnsupportedTokenType

router = APIRouter(prefix="/oauth", tags=["oauth"])

TOKEN_TYPE_HINTS = frozenset({"access_token", "refresh_token"})

_FORM_BODY = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": {"type": "string"},
                        "token_type_hint": {"type": "string", "enum": sorted(TOKEN_TYPE_HINTS)},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
        "required": True,
    }
}


async def _authenticate(services: ApiServices, credentials: tuple[str, str | None] | None) -> Client:
    if credentials is None:
        raise InvalidClient("Client authentication is required")
    client = await authenticate_client(services.clients, credentials)
    if client is None or not client.confidential:
        raise InvalidClient("Client authentication failed")
    return client


def _token(parameters: dict[str, str]) -> tuple[str, str | None]:
    token = parameters.get("token")
    if not token:
        raise InvalidRequest("token is required")
    return token, parameters.get("token_type_hint")


@router.post(
    "/revoke",
    openapi_extra=_FORM_BODY,
    dependencies=[Depends(rate_limited("revoke"))],
    responses={200: {"description": "Revoked, or there was nothing to revoke"}},
)
async def revoke(request: Request, services: Services, context: Context) -> Response:
    """Revoke a refresh token (ends its session and every token of it) or an access token (that token only)."""
    parameters = await read_oauth_parameters(request)
    try:
        await authenticate_client(services.clients, client_credentials(request, parameters))
    except InvalidClient as exc:
        return client_error(exc, request)
    token, hint = _token(parameters)
    if hint is not None and hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenType("token_type_hint must be access_token or refresh_token")
    # the kinds cannot be mistaken for each other (JWT vs. opaque twr_ string): the shape decides, so a wrong
    # hint still finds the token (§2.1)
    if token.count(".") == 2:
        await services.sessions.revoke_access_token(token, context)
    else:
        await services.sessions.revoke_refresh_token(token, context)
    return Response(status_code=200, headers=NO_STORE)


@router.post(
    "/introspect",
    openapi_extra=_FORM_BODY,
    dependencies=[Depends(rate_limited("introspect"))],
    responses={200: {"description": "The token's state: {active: false} or its claims"}},
)
async def introspect(request: Request, services: Services) -> JSONResponse:
    """For registered API clients: whether a token is active now, and if so what it carries."""
    parameters = await read_oauth_parameters(request)
    try:
        await _authenticate(services, client_credentials(request, parameters))
    except InvalidClient as exc:
        return client_error(exc, request)
    token, _hint = _token(parameters)
    answer: dict[str, Any] = await services.introspector.introspect(token)
    return JSONResponse(answer, headers=NO_STORE)

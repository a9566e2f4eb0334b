"""OAuth 2.0 token endpoint: the authorization code grant (RFC 6749 §4.1.3, PKCE per RFC 7636) and the refresh
grant (§6). Accepts form and JSON bodies; clients authenticate as ``api.client_auth`` says.

Errors here use the RFC 6749 shape (``error``, ``error_description``); ``problems`` picks it by path.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from tokenward.api.auth import Context, RequestTransports, Services
from tokenward.api.client_auth import authenticate_client, client_credentials, client_error
from tokenward.api.rate_limit import rate_limited
from tokenward.api.routes.oauth_parameters import read_oauth_parameters
from tokenward.api.schemas import TokenResponse
from tokenward.api.transport import BearerTransport
from tokenward.errors import InvalidClient, InvalidRequest, UnsupportedGrantType

router = APIRouter(prefix="/oauth", tags=["oauth"])
_TOKEN_PROPERTIES = {
    "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token"]},
    "refresh_token": {"type": "string"},
    "code": {"type": "string"},
    "redirect_uri": {"type": "string"},
    "code_verifier": {"type": "string"},
    "client_id": {"type": "string"},
    "client_secret": {"type": "string"},
}
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
#: registered clients are OAuth clients: their tokens travel in the JSON body
BEARER = BearerTransport()


@router.post(
    "/token",
    response_model=TokenResponse,
    dependencies=[Depends(rate_limited("refresh"))],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": _TOKEN_PROPERTIES,
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": _TOKEN_PROPERTIES,
                    }
                },
            },
            "required": True,
        }
    },
)
async def token(
    request: Request, services: Services, transports: RequestTransports, context: Context
) -> Response:
    """The authorization code grant (for registered clients), or a refresh (the old refresh token stops
    working). A client's refresh token is redeemed only by that client."""
    parameters = await read_oauth_parameters(request)
    grant_type = parameters.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("grant_type is required")
    if grant_type not in GRANT_TYPES:
        raise UnsupportedGrantType("Only grant_type=authorization_code and refresh_token are supported")
    try:
        client = await authenticate_client(services.clients, client_credentials(request, parameters))
        if client is None and grant_type == "authorization_code":
            raise InvalidClient("Client authentication is required")
    except InvalidClient as exc:
        return client_error(exc, request)
    if grant_type == "authorization_code":
        assert client is not None
        pair = await services.oidc.redeem(
            client,
            parameters.get("code", ""),
            parameters.get("redirect_uri"),
            parameters.get("code_verifier"),
            context,
        )
        return BEARER.write_token_response(pair)
    # the new pair goes back by the transport that brought the old refresh token
    transport, refresh_token = transports.read_refresh_token(request, parameters)
    if refresh_token is None:
        raise InvalidRequest("refresh_token is required")
    pair = await services.sessions.refresh(
        refresh_token, context, client_id=client.id if client is not None else None
    )
    return transport.write_token_response(pair)

"""OAuth 2.0 token endpoint: the authorization code grant (RFC 6749 §4.1.3, PKCE per RFC 7636) and the refresh
grant (§6). Accepts form and JSON bodies; clients authenticate as ``api.client_auth`` says.

Errors here use the RFC 6749 shape (``error``, ``error_description``); ``problems`` picks it by path.

The refresh token comes in the body, or for a browser app on the cookie transport in the refresh cookie (then
the body needs only ``grant_type``, and the request the CSRF proof). The OpenAPI document says both: the
body's ``refresh_token`` is not required there, and the cookie is an optional cookie parameter.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from tokenward.api.auth import ClientAuthorization, Context, RequestTransports, Services
from tokenward.api.client_auth import authenticate_client, client_credentials, client_error
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import BODY_REFUSALS, refuses
from tokenward.api.routes.oauth_parameters import oauth_body_schema, read_oauth_parameters
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import TokenResponse
from tokenward.api.transport import BearerTransport
from tokenward.api.transport.cookie import REFRESH_COOKIE
from tokenward.errors import (
    CsrfFailed,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    KeyUnavailable,
    UnsupportedGrantType,
)

router = APIRouter(prefix="/oauth", tags=["oauth"], route_class=JsonBodyRoute)
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
#: registered clients are OAuth clients: their tokens travel in the JSON body
BEARER = BearerTransport()
_CLIENT_POST = "client_secret_post (a confidential client) or the public client's id"

_REFRESH_TOKEN_PARAMETER = {
    "minLength": 1,
    "description": (
        f"The newest refresh token of the session. Required, unless the request carries the {REFRESH_COOKIE} "
        "cookie (the cookie transport), which is then used instead and this parameter ignored."
    ),
}
_REFRESH_COOKIE_PARAMETER = {
    "name": REFRESH_COOKIE,
    "in": "cookie",
    "required": False,
    "schema": {"type": "string", "minLength": 1},
    "description": (
        "The cookie transport: the refresh token a sign-in with `X-Tokenward-Transport: cookie` set in this "
        "HttpOnly cookie. When present it is used instead of the body's `refresh_token`; the request must then "
        "come from an allowed `Origin` and carry the `X-Tokenward-CSRF` header (else 403 `csrf_failed`), and the "
        "new refresh token comes back in the cookie, not in the body."
    ),
}


@router.post(
    "/token",
    response_model=TokenResponse,
    dependencies=[Depends(rate_limited("refresh"))],
    # client authentication is optional (a public client or the refresh grant): the empty requirement says so
    openapi_extra=oauth_body_schema(
        ["grant_type"],
        {
            "grant_type": {"enum": sorted(GRANT_TYPES)},
            "refresh_token": _REFRESH_TOKEN_PARAMETER,
            "code": {"description": "grant_type=authorization_code"},
            "redirect_uri": {"description": "grant_type=authorization_code: as in the authorization request"},
            "code_verifier": {"description": "grant_type=authorization_code: the PKCE verifier"},
            "client_id": {"description": _CLIENT_POST},
            "client_secret": {"description": "client_secret_post: only without an Authorization header"},
        },
    )
    | {"security": [{}], "parameters": [_REFRESH_COOKIE_PARAMETER]},
)
@refuses(*BODY_REFUSALS, InvalidClient, InvalidGrant, UnsupportedGrantType, KeyUnavailable, CsrfFailed)
async def token(
    request: Request,
    services: Services,
    transports: RequestTransports,
    context: Context,
    authorization: ClientAuthorization,
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
        client = await authenticate_client(services.clients, client_credentials(authorization, parameters))
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
    if client is None:
        return transport.write_token_response(await services.sessions.refresh(refresh_token, context))
    pair = await services.sessions.refresh(refresh_token, context, client_id=client.id)
    return transport.write_token_response(services.oidc.with_id_token(pair, client))

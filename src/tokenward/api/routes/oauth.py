"""OAuth 2.0 token endpoint (RFC 6749 §6, refresh grant). Accepts form and JSON bodies.

Errors here use the RFC 6749 shape (``error``, ``error_description``); ``problems`` picks it by path.

The refresh token comes in the body, or for a browser app on the cookie transport in the refresh cookie (then
the body needs only ``grant_type``, and the request the CSRF proof). The OpenAPI document says both: the
body's ``refresh_token`` is not required there, and the cookie is an optional cookie parameter.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from tokenward.api.auth import Context, RequestTransports, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import BODY_REFUSALS, refuses
from tokenward.api.routes.oauth_parameters import oauth_body_schema, read_oauth_parameters
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.schemas import TokenResponse
from tokenward.api.transport.cookie import REFRESH_COOKIE
from tokenward.errors import CsrfFailed, InvalidGrant, InvalidRequest, KeyUnavailable, UnsupportedGrantType

router = APIRouter(prefix="/oauth", tags=["oauth"], route_class=JsonBodyRoute)

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
    openapi_extra=oauth_body_schema(
        ["grant_type"],
        {"grant_type": {"enum": ["refresh_token"]}, "refresh_token": _REFRESH_TOKEN_PARAMETER},
    )
    | {"parameters": [_REFRESH_COOKIE_PARAMETER]},
)
@refuses(*BODY_REFUSALS, InvalidGrant, UnsupportedGrantType, KeyUnavailable, CsrfFailed)
async def token(
    request: Request, services: Services, transports: RequestTransports, context: Context
) -> Response:
    """Exchange a refresh token for a new access token and a new refresh token (the old one stops working)."""
    parameters = await read_oauth_parameters(request)
    grant_type = parameters.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("grant_type is required")
    if grant_type != "refresh_token":
        raise UnsupportedGrantType("Only grant_type=refresh_token is supported")
    # the new pair goes back by the transport that brought the old refresh token
    transport, refresh_token = transports.read_refresh_token(request, parameters)
    if refresh_token is None:
        raise InvalidRequest("refresh_token is required")
    pair = await services.sessions.refresh(refresh_token, context)
    return transport.write_token_response(pair)

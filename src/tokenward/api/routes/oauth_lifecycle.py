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

from tokenward.api.auth import ClientAuthorization, Context, Services
from tokenward.api.client_auth import authenticate_client, client_credentials, client_error
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import BODY_REFUSALS, refuses
from tokenward.api.routes.oauth_parameters import oauth_body_schema, read_oauth_parameters
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiServices
from tokenward.api.transport import NO_STORE
from tokenward.domain.clients import Client
from tokenward.errors import InvalidClient, InvalidRequest, UnsupportedTokenType

router = APIRouter(prefix="/oauth", tags=["oauth"], route_class=JsonBodyRoute)

TOKEN_TYPE_HINTS = frozenset({"access_token", "refresh_token"})

_TOKEN_BODY = oauth_body_schema(
    ["token"],
    {
        "token": {"minLength": 1},
        "token_type_hint": {"enum": sorted(TOKEN_TYPE_HINTS)},
        "client_id": {"description": "client_secret_post: only without an Authorization header"},
        "client_secret": {"description": "client_secret_post: only without an Authorization header"},
    },
)


async def _authenticate(services: ApiServices, credentials: tuple[str, str | None] | None) -> Client:
    if credentials is None:
        raise InvalidClient("Client authentication is required")
    client = await authenticate_client(services.clients, credentials)
    if client is None or not client.confidential:
        raise InvalidClient("Client authentication failed")
    return client


def _token(parameters: dict[str, str]) -> str:
    """The token, once the parameters are known good: a token is required, and a hint must be one this
    server knows (RFC 7009 §2.2.1); what the hint says does not matter otherwise (see ``revoke``)."""
    token = parameters.get("token")
    if not token:
        raise InvalidRequest("token is required")
    hint = parameters.get("token_type_hint")
    if hint is not None and hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenType("token_type_hint must be access_token or refresh_token")
    return token


@router.post(
    "/revoke",
    # client authentication is optional here: the empty requirement says so
    openapi_extra=_TOKEN_BODY | {"security": [{}]},
    dependencies=[Depends(rate_limited("revoke"))],
    response_class=Response,
    responses={200: {"description": "Revoked, or there was nothing to revoke (an empty body)"}},
)
@refuses(*BODY_REFUSALS, InvalidClient, UnsupportedTokenType)
async def revoke(
    request: Request, services: Services, context: Context, authorization: ClientAuthorization
) -> Response:
    """Revoke a refresh token (ends its session and every token of it) or an access token (that token only)."""
    parameters = await read_oauth_parameters(request)
    try:
        await authenticate_client(services.clients, client_credentials(authorization, parameters))
    except InvalidClient as exc:
        return client_error(exc, request)
    token = _token(parameters)
    # the kinds cannot be mistaken for each other (JWT vs. opaque twr_ string): the shape decides, so a wrong
    # hint still finds the token (§2.1)
    if token.count(".") == 2:
        await services.sessions.revoke_access_token(token, context)
    else:
        await services.sessions.revoke_refresh_token(token, context)
    return Response(status_code=200, headers=NO_STORE)


@router.post(
    "/introspect",
    openapi_extra=_TOKEN_BODY,
    dependencies=[Depends(rate_limited("introspect"))],
    responses={200: {"description": "The token's state: {active: false} or its claims"}},
)
@refuses(*BODY_REFUSALS, InvalidClient, UnsupportedTokenType)
async def introspect(
    request: Request, services: Services, authorization: ClientAuthorization
) -> JSONResponse:
    """For registered API clients: whether a token is active now, and if so what it carries."""
    parameters = await read_oauth_parameters(request)
    try:
        await _authenticate(services, client_credentials(authorization, parameters))
    except InvalidClient as exc:
        return client_error(exc, request)
    token = _token(parameters)
    answer: dict[str, Any] = await services.introspector.introspect(token)
    return JSONResponse(answer, headers=NO_STORE)

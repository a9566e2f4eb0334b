"""Token revocation (RFC 7009) and introspection (RFC 7662).

``POST /oauth/revoke``: whoever holds a token may revoke it (possession is the proof, as for a public client);
a registered API client may also call it with its credentials, which must then be right. The answer is 200 for
every token, known or not, valid or not (§2.2), so revocation cannot be used to test tokens.

``POST /oauth/introspect``: registered API clients only (HTTP Basic or ``client_id``/``client_secret`` in the
body, never both). The answer is ``{"active": false}`` for anything that is not an active token, with no reason.

Client credentials follow RFC 6749 §2.3.1: in the Basic header, id and secret are form-urlencoded before
base64. Failed client authentication is 401 ``invalid_client`` with ``WWW-Authenticate: Basic``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from tokenward.api.auth import ClientAuthorization, Context, Services
from tokenward.api.problems import problem_response
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import BODY_REFUSALS, refuses
from tokenward.api.routes.oauth_parameters import oauth_body_schema, read_oauth_parameters
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiServices
from tokenward.api.transport import NO_STORE
from tokenward.domain.clients.api_clients import ApiClient
from tokenward.errors import InvalidClient, InvalidRequest, UnsupportedTokenType

router = APIRouter(prefix="/oauth", tags=["oauth"], route_class=JsonBodyRoute)

TOKEN_TYPE_HINTS = frozenset({"access_token", "refresh_token"})
BASIC_CHALLENGE = 'Basic realm="tokenward", charset="UTF-8"'

_TOKEN_BODY = oauth_body_schema(
    ["token"],
    {
        "token": {"minLength": 1},
        "token_type_hint": {"enum": sorted(TOKEN_TYPE_HINTS)},
        "client_id": {"description": "client_secret_post: only without an Authorization header"},
        "client_secret": {"description": "client_secret_post: only without an Authorization header"},
    },
)


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise InvalidClient("Use HTTP Basic client authentication")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("Malformed Basic credentials") from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise InvalidClient("Malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def _client_credentials(authorization: str | None, parameters: dict[str, str]) -> tuple[str, str] | None:
    in_body = "client_id" in parameters or "client_secret" in parameters
    if authorization and in_body:
        raise InvalidRequest("Use one client authentication method, not two")
    if authorization:
        return _basic_credentials(authorization)
    if in_body:
        return parameters.get("client_id", ""), parameters.get("client_secret", "")
    return None


async def _authenticate(services: ApiServices, credentials: tuple[str, str] | None) -> ApiClient:
    if credentials is None:
        raise InvalidClient("Client authentication is required")
    return await services.api_clients.authenticate(*credentials)


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


def _client_error(error: InvalidClient, request: Request) -> JSONResponse:
    response = problem_response(error, request)
    response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
    return response


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
    credentials = _client_credentials(authorization, parameters)
    if credentials is not None:
        try:
            await services.api_clients.authenticate(*credentials)
        except InvalidClient as exc:
            return _client_error(exc, request)
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
        await _authenticate(services, _client_credentials(authorization, parameters))
    except InvalidClient as exc:
        return _client_error(exc, request)
    token = _token(parameters)
    answer: dict[str, Any] = await services.introspector.introspect(token)
    return JSONResponse(answer, headers=NO_STORE)

"""``/userinfo`` (OpenID Connect Core §5.3) and the end-session endpoint (OpenID Connect RP-Initiated Logout).

``/userinfo`` takes an access token by the bearer transport (GET or POST) and answers the claims its scopes
allow; errors are RFC 6750's (``WWW-Authenticate: Bearer error=...``). ``/oauth/logout`` signs out the browser
session an ``id_token_hint`` names, with every client session started from it, then returns the browser to an
allow-listed ``post_logout_redirect_uri`` (with ``state``) or shows a signed-out page; a refused request is an
error page and ends nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from tokenward.api.auth import Context, CurrentPrincipal, Services
from tokenward.api.rate_limit import rate_limited
from tokenward.api.refusals import refuses
from tokenward.api.routes.oauth_parameters import oauth_body_schema, read_oauth_parameters
from tokenward.api.routes.oidc_query import JWT_CHARACTERS, QueryParameter, QuerySpec
from tokenward.api.routes.oidc_redirects import (
    BROWSER_RESPONSES,
    NO_STORE,
    error_page,
    redirect,
    with_query,
)
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiServices
from tokenward.domain.context import RequestContext
from tokenward.domain.oidc import LogoutRequest
from tokenward.errors import InvalidRequest, RequestTooLarge, UnsupportedMediaType

router = APIRouter(tags=["openid"], route_class=JsonBodyRoute)


@router.get("/userinfo", operation_id="userinfo", dependencies=[Depends(rate_limited("userinfo"))])
@router.post("/userinfo", operation_id="userinfo_post", dependencies=[Depends(rate_limited("userinfo"))])
async def userinfo(services: Services, principal: CurrentPrincipal) -> JSONResponse:
    """The signed-in user's claims: ``sub``; ``email`` and ``email_verified`` (scope ``email``); ``name``
    (scope ``profile``)."""
    claims: dict[str, Any] = services.oidc.userinfo(principal)
    return JSONResponse(claims, headers=NO_STORE)


LOGOUT_QUERY = QuerySpec(
    QueryParameter(
        "id_token_hint",
        4096,
        required=True,
        characters=JWT_CHARACTERS,
        schema={"description": "an ID token this server issued"},
    ),
    QueryParameter("client_id", 64, schema={"description": "the hint's audience"}),
    QueryParameter("post_logout_redirect_uri", 2048, schema={"description": "one the client registered"}),
    QueryParameter("state", 512),
)
_LOGOUT_PARAMETERS = {
    parameter["name"]: {"description": parameter["schema"].get("description", "")}
    for parameter in LOGOUT_QUERY.openapi()["parameters"]
}
_REFUSED = "This sign-out request cannot be accepted"
_LOGOUT_RESPONSES = BROWSER_RESPONSES | {
    200: {"description": "A signed-out page", "content": {"text/html": {"schema": {"type": "string"}}}}
}


@router.get(
    "/oauth/logout",
    operation_id="end_session",
    dependencies=[Depends(rate_limited("userinfo"))],
    response_class=HTMLResponse,
    responses=_LOGOUT_RESPONSES,
    openapi_extra=LOGOUT_QUERY.openapi(),
)
async def end_session(request: Request, services: Services, context: Context) -> Response:
    """RP-initiated logout: ``id_token_hint`` (required), ``client_id``, ``post_logout_redirect_uri``,
    ``state``."""
    params = LOGOUT_QUERY.read(request)
    if params is None:
        return error_page(
            _REFUSED, "A parameter is repeated, too long or not printable ASCII, or there are too many"
        )
    return await _end_session(params, services, context)


@router.post(
    "/oauth/logout",
    operation_id="end_session_post",
    dependencies=[Depends(rate_limited("userinfo"))],
    response_class=HTMLResponse,
    responses=_LOGOUT_RESPONSES,
    openapi_extra=oauth_body_schema(["id_token_hint"], _LOGOUT_PARAMETERS),
)
@refuses(RequestTooLarge, UnsupportedMediaType)
async def end_session_post(request: Request, services: Services, context: Context) -> Response:
    """The same, the parameters form-encoded in the body."""
    try:
        params = await read_oauth_parameters(request)
    except InvalidRequest as exc:
        return error_page(_REFUSED, exc.detail)
    return await _end_session(params, services, context)


async def _end_session(params: dict[str, str], services: ApiServices, context: RequestContext) -> Response:
    try:
        target = await services.oidc.logout(
            LogoutRequest(
                id_token_hint=params.get("id_token_hint"),
                client_id=params.get("client_id"),
                post_logout_redirect_uri=params.get("post_logout_redirect_uri"),
            ),
            context,
        )
    except InvalidRequest as exc:
        return error_page(_REFUSED, exc.detail)
    if target is not None:
        return redirect(with_query(target, {"state": params.get("state")}))
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Signed out</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>Signed out</h1>"
        "<p>You are signed out. You can close this window.</p></body></html>",
        headers=NO_STORE | {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )

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
from tokenward.api.routes.oauth_parameters import read_oauth_parameters
from tokenward.api.routes.oidc_redirects import NO_STORE, error_page, redirect, with_query
from tokenward.domain.oidc import LogoutRequest
from tokenward.errors import InvalidRequest

router = APIRouter(tags=["openid"])


@router.get("/userinfo", operation_id="userinfo", dependencies=[Depends(rate_limited("userinfo"))])
@router.post("/userinfo", operation_id="userinfo_post", dependencies=[Depends(rate_limited("userinfo"))])
async def userinfo(services: Services, principal: CurrentPrincipal) -> JSONResponse:
    """The signed-in user's claims: ``sub``; ``email`` and ``email_verified`` (scope ``email``); ``name``
    (scope ``profile``)."""
    claims: dict[str, Any] = services.oidc.userinfo(principal)
    return JSONResponse(claims, headers=NO_STORE)


async def _logout_parameters(request: Request) -> dict[str, str]:
    if request.method == "POST":
        return await read_oauth_parameters(request)
    items = request.query_params.multi_items()
    if len(dict(items)) != len(items):
        raise InvalidRequest("A parameter was repeated")
    return dict(items)


@router.get("/oauth/logout", operation_id="end_session", dependencies=[Depends(rate_limited("userinfo"))])
@router.post(
    "/oauth/logout", operation_id="end_session_post", dependencies=[Depends(rate_limited("userinfo"))]
)
async def end_session(request: Request, services: Services, context: Context) -> Response:
    """RP-initiated logout: ``id_token_hint`` (required), ``client_id``, ``post_logout_redirect_uri``,
    ``state``."""
    try:
        params = await _logout_parameters(request)
        target = await services.oidc.logout(
            LogoutRequest(
                id_token_hint=params.get("id_token_hint"),
                client_id=params.get("client_id"),
                post_logout_redirect_uri=params.get("post_logout_redirect_uri"),
            ),
            context,
        )
    except InvalidRequest as exc:
        return error_page("This sign-out request cannot be accepted", exc.detail)
    if target is not None:
        return redirect(with_query(target, {"state": params.get("state")}))
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Signed out</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>Signed out</h1>"
        "<p>You are signed out. You can close this window.</p></body></html>",
        headers=NO_STORE | {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )

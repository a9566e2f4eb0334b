"""The authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1.2): ``response_type=code`` with PKCE
S256, for a browser signed in on the hosted pages.

Order of checks (RFC 6749 §4.1.2.1): an unknown client or a redirect URI it did not register is shown as an
error page and never redirected; anything else wrong goes back to the redirect URI with ``error``, ``state``
and ``iss`` (RFC 9207). A browser that is not signed in (or whose sign-in is older than ``max_age``, or when
``prompt=login``) goes to the hosted sign-in page, which comes back here; ``prompt=none`` answers
``login_required`` or ``consent_required`` instead of showing a page. Only then is a code issued.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tokenward.api.auth import Context, Services
from tokenward.api.browser_sign_in import browser_sessions
from tokenward.api.rate_limit import rate_limited
from tokenward.api.routes.oidc_query import QueryParameter, QuerySpec
from tokenward.api.routes.oidc_redirects import (
    BROWSER_RESPONSES,
    error_page,
    redirect,
    redirect_error,
    with_query,
)
from tokenward.api.routing import JsonBodyRoute
from tokenward.api.services import ApiConfig, ApiServices
from tokenward.domain.context import RequestContext
from tokenward.domain.oidc import (
    LOGIN_AFTER,
    AuthorizationRequest,
    BadClient,
    RedirectableError,
    client_and_redirect,
    read_request,
)
from tokenward.domain.oidc.provider import SignInNeeded

router = APIRouter(prefix="/oauth", tags=["openid"], route_class=JsonBodyRoute)
AUTHORIZE_PATH = "/oauth/authorize"


def return_path(params: dict[str, str], needed: SignInNeeded) -> str:
    """This request again, as the hosted sign-in page returns to it: without ``prompt`` (answered by the
    sign-in), with the moment from which a sign-in counts."""
    again = {name: value for name, value in params.items() if name not in ("prompt", LOGIN_AFTER)}
    if needed.login_after is not None:
        again[LOGIN_AFTER] = str(needed.login_after)
    return with_query(AUTHORIZE_PATH, again)


AUTHORIZE_QUERY = QuerySpec(
    QueryParameter("response_type", 16, required=True, schema={"enum": ["code"]}),
    QueryParameter("client_id", 64, required=True, schema={"description": "a registered client"}),
    QueryParameter(
        "redirect_uri", 2048, required=True, schema={"description": "exactly a registered redirect URI"}
    ),
    QueryParameter("scope", 512, schema={"description": "some of the client's scopes: openid email profile"}),
    QueryParameter("state", 512),
    QueryParameter("nonce", 512, schema={"description": "carried into the ID token"}),
    QueryParameter(
        "code_challenge", 128, required=True, schema={"description": "BASE64URL(SHA-256(verifier))"}
    ),
    QueryParameter("code_challenge_method", 16, required=True, schema={"enum": ["S256"]}),
    QueryParameter("prompt", 32, schema={"enum": ["login", "none", "consent"]}),
    QueryParameter("max_age", 10, schema={"description": "seconds since the last sign-in"}),
)


@router.get(
    "/authorize",
    dependencies=[Depends(rate_limited("authorize"))],
    status_code=302,
    response_class=Response,
    responses=BROWSER_RESPONSES,
    openapi_extra=AUTHORIZE_QUERY.openapi(),
)
async def authorize(request: Request, services: Services, context: Context) -> Response:
    """Start an OpenID Connect sign-in: on success, back to the client's redirect URI with a code."""
    config: ApiConfig = request.app.state.config
    params = AUTHORIZE_QUERY.read(request)
    if params is None:
        return error_page(
            "Invalid request",
            "A parameter of the sign-in request is repeated, too long or not printable ASCII, or there are too many.",
        )
    try:
        client, redirect_uri = await client_and_redirect(params, services.clients.find)
    except BadClient as exc:
        return error_page("This sign-in request cannot be accepted", exc.detail)
    try:
        return await _decide(request, services, context, params, read_request(params, client, redirect_uri))
    except RedirectableError as error:
        return redirect_error(error, config.issuer)


async def _decide(
    request: Request,
    services: ApiServices,
    context: RequestContext,
    params: dict[str, str],
    authorization: AuthorizationRequest,
) -> Response:
    config: ApiConfig = request.app.state.config
    browser = browser_sessions(request)
    signed_in = await browser.signed_in(request)
    needed = services.oidc.sign_in_needed(authorization, signed_in)
    if needed is not None or signed_in is None:
        if authorization.prompt == "none":
            raise authorization.error("login_required", "The user is not signed in (recently enough)")
        needed = needed or SignInNeeded(force=False, login_after=None)
        return redirect(browser.sign_in_url(return_path(params, needed), force=needed.force))
    if await services.consents.needed(signed_in.user_id, authorization.client, authorization.scopes):
        # the consent page (hosted pages) is asked from here once it exists; until then: no silent grant
        raise authorization.error("consent_required", "The user has not allowed this application yet")
    code = await services.oidc.issue_code(authorization, signed_in, context)
    return redirect(
        with_query(
            authorization.redirect_uri, {"code": code, "state": authorization.state, "iss": config.issuer}
        )
    )

"""The authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1.2): ``response_type=code`` with PKCE
S256, for a browser signed in on the hosted pages.

Order of checks (RFC 6749 §4.1.2.1): an unknown client or a redirect URI it did not register is shown as an
error page and never redirected; anything else wrong goes back to the redirect URI with ``error``, ``state``
and ``iss`` (RFC 9207). A browser that is not signed in (or whose sign-in is older than ``max_age``, or when
``prompt=login``) goes to the hosted sign-in page, which comes back here; a client that is not first-party
then goes to the hosted consent page unless the user allowed these scopes before (``prompt=consent``: ask
again), which comes back here too; ``prompt=none`` answers ``login_required`` or ``consent_required`` instead
of showing a page. Only then is a code issued.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tokenward.api.auth import Context, Services
from tokenward.api.browser_sign_in import browser_sessions, consent_page_url
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
    prompt_answered,
    read_request,
)
from tokenward.domain.oidc.provider import SignInNeeded

router = APIRouter(prefix="/oauth", tags=["openid"], route_class=JsonBodyRoute)
AUTHORIZE_PATH = "/oauth/authorize"


def return_path(params: dict[str, str], needed: SignInNeeded) -> str:
    """This request again, as the hosted sign-in page returns to it: without ``prompt=login`` (answered by
    the sign-in), with the moment from which a sign-in counts."""
    again = prompt_answered(params, "login")
    again.pop(LOGIN_AFTER, None)
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
    QueryParameter(
        "prompt",
        32,
        schema={
            "pattern": "^(none|(login|consent)( (login|consent))?)$",
            "description": "none, or login and/or consent separated by a space",
        },
    ),
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
        if "none" in authorization.prompts:
            raise authorization.error("login_required", "The user is not signed in (recently enough)")
        needed = needed or SignInNeeded(force=False, login_after=None)
        return redirect(browser.sign_in_url(return_path(params, needed), force=needed.force))
    if await _consent_to_ask(services, authorization, signed_in.user_id):
        if "none" in authorization.prompts:
            raise authorization.error("consent_required", "The user has not allowed this application yet")
        return redirect(consent_page_url(with_query(AUTHORIZE_PATH, params)))
    code = await services.oidc.issue_code(authorization, signed_in, context)
    return redirect(
        with_query(
            authorization.redirect_uri, {"code": code, "state": authorization.state, "iss": config.issuer}
        )
    )


async def _consent_to_ask(services: ApiServices, authorization: AuthorizationRequest, user_id: str) -> bool:
    """Clients that are not first-party need the user's consent to these scopes; ``prompt=consent`` asks
    again even when it was given (first-party clients are never asked: nothing is remembered for them)."""
    if authorization.client.first_party:
        return False
    if "consent" in authorization.prompts:
        return True
    return await services.consents.needed(user_id, authorization.client, authorization.scopes)

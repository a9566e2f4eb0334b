"""The consent page: a signed-in user allows (or refuses) a client that is not first-party the scopes its
authorization request asks for.

The authorization endpoint sends the browser here with the request itself as ``return_to``. The request is
read again here with the endpoint's own checks (client, exact redirect URI, scopes), so the page names the
client and scopes the endpoint will act on, and a forged ``return_to`` shows an error instead of a consent.
"Allow" remembers the consent and returns to the endpoint, which then issues the code; "Refuse" sends the
user back to the client with ``error=access_denied`` (RFC 6749 §4.1.2.1). Both are forms with the session's
CSRF token, and the page cannot be framed (its Content-Security-Policy), so another site can neither submit
nor overlay the choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tokenward.api.browser_sign_in import sign_in_page_url
from tokenward.api.rate_limit import rate_limited
from tokenward.api.routes.oidc_authorize import AUTHORIZE_PATH
from tokenward.api.routes.oidc_redirects import error_redirect_url, with_query
from tokenward.domain.oidc import (
    AuthorizationRequest,
    RedirectableError,
    client_and_redirect,
    prompt_answered,
    read_request,
)
from tokenward.errors import InvalidRequest
from tokenward.pages.oidc import is_authorization_return
from tokenward.pages.page import CurrentPage, Page

router = APIRouter(prefix="/account", include_in_schema=False)
CONSENT = "/account/consent"

#: what each scope lets the application have, in the user's words
SCOPE_WORDING = {
    "openid": "Know that it is you when you sign in (your account's identifier)",
    "email": "Your e-mail address, and whether it is verified",
    "profile": "Your display name",
}


def scope_descriptions(scopes: frozenset[str]) -> list[str]:
    """What the scopes let an application have, most basic first."""
    known = [wording for scope, wording in SCOPE_WORDING.items() if scope in scopes]
    return known + sorted(scopes - SCOPE_WORDING.keys())


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """The authorization request a consent page answers, read back from its ``return_to``."""

    return_to: str
    params: dict[str, str]
    authorization: AuthorizationRequest


async def _read(page: Page, return_to: str | None) -> ConsentRequest:
    if not return_to or not is_authorization_return(return_to):
        raise InvalidRequest("This page is reached from an application's sign-in request; none was given.")
    params = dict(parse_qsl(urlsplit(return_to).query, keep_blank_values=True))
    client, redirect_uri = await client_and_redirect(params, page.services.clients.find)
    try:
        authorization = read_request(params, client, redirect_uri)
    except RedirectableError as error:
        raise InvalidRequest(f"The application's sign-in request is not valid: {error.description}") from None
    await page.allow_return_to(return_to)
    return ConsentRequest(return_to, params, authorization)


def _back_to_authorization(request: ConsentRequest) -> str:
    """The authorization request again, without ``prompt=consent`` (just answered)."""
    return with_query(AUTHORIZE_PATH, prompt_answered(request.params, "consent"))


@router.get("/consent")
async def consent_page(page: CurrentPage, return_to: str | None = None) -> Response:
    request = await _read(page, return_to)
    principal = await page.principal()
    if principal is None:
        return page.redirect(sign_in_page_url(request.return_to, force=False))
    client = request.authorization.client
    return page.render(
        "consent.html",
        title=f"Allow {client.name}?",
        client=client,
        scopes=scope_descriptions(request.authorization.scopes),
        redirect_host=urlsplit(request.authorization.redirect_uri).netloc,
        email=principal.user.email,
        return_to=request.return_to,
        switch_account_url=sign_in_page_url(request.return_to, force=True),
    )


@router.post("/consent", dependencies=[Depends(rate_limited("authorize"))])
async def consent_answer(page: CurrentPage) -> Response:
    form = await page.form()
    request = await _read(page, form.get("return_to"))
    principal = await page.principal()
    if principal is None:
        return page.redirect(sign_in_page_url(request.return_to, force=False))
    authorization = request.authorization
    decision = form.get("decision")
    if decision == "allow":
        await page.services.consents.grant(
            principal.user.id, authorization.client, authorization.scopes, page.context
        )
        return page.redirect(_back_to_authorization(request))
    if decision != "deny":
        raise InvalidRequest("Choose Allow or Refuse.")
    await page.services.consents.deny(
        principal.user.id, authorization.client, authorization.scopes, page.context
    )
    denied = authorization.error("access_denied", "The user did not allow the application")
    return page.redirect(error_redirect_url(denied, page.request.app.state.config.issuer))

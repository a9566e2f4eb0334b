"""The hosted pages' side of OpenID Connect: they tell the authorization endpoint who is signed in on this
browser (``PageBrowserSessions``, the ``BrowserSessions`` seam of ``api.browser_sign_in``), accept
``/oauth/authorize?...`` as the address to return to after signing in, and let their forms end up at a
registered client's redirect URI (the ``form-action`` of their Content-Security-Policy: browsers apply it to
where a submitted form is finally redirected).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from fastapi import Request

from tokenward.api.browser import origin_of
from tokenward.api.browser_sign_in import sign_in_page_url
from tokenward.api.routes.oidc_authorize import AUTHORIZE_PATH
from tokenward.api.services import ApiServices
from tokenward.domain.oidc import BrowserSignIn
from tokenward.errors import InvalidToken
from tokenward.pages.session import PAGE_COOKIE, PageSessionSeal

#: a sign-in may return to the authorization endpoint: a path of this server, checked again when it arrives
AUTHORIZE_RETURN = f"{AUTHORIZE_PATH}?"


def is_authorization_return(value: str) -> bool:
    return value.startswith(AUTHORIZE_RETURN) and value.isprintable() and len(value) <= 3000


class PageBrowserSessions:
    """Reads the hosted pages' sealed session cookie. An expired access token counts as signed out: the
    sign-in page the browser is then sent to refreshes the session and comes straight back."""

    async def signed_in(self, request: Request) -> BrowserSignIn | None:
        services: ApiServices = request.app.state.services
        session = PageSessionSeal(services.page_secret).open(request.cookies.get(PAGE_COOKIE))
        if session is None or session.access_token is None:
            return None
        try:
            principal = await services.sessions.authenticate(session.access_token)
        except InvalidToken:
            return None
        return BrowserSignIn(
            user_id=principal.user.id,
            session_id=principal.session.id,
            auth_time=principal.session.auth_time,
            amr=principal.session.amr,
        )

    def sign_in_url(self, return_to: str, *, force: bool) -> str:
        return sign_in_page_url(return_to, force=force)


async def client_form_target(services: ApiServices, return_to: str | None) -> str | None:
    """The CSP source of the redirect URI an authorization request will end at, if it is registered."""
    if not return_to or not is_authorization_return(return_to):
        return None
    params = dict(parse_qsl(urlsplit(return_to).query))
    client = await services.clients.find(params.get("client_id", ""))
    redirect_uri = params.get("redirect_uri", "")
    if client is None or not client.accepts_redirect_uri(redirect_uri):
        return None
    scheme = urlsplit(redirect_uri).scheme
    return origin_of(redirect_uri) if scheme in ("http", "https") else f"{scheme}:"

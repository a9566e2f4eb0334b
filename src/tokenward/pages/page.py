"""One request to a hosted page: its sealed session, its CSP nonce, its form, and how it answers.

Every answer carries a strict Content-Security-Policy: nothing from another origin, scripts only from this
server's own files (no inline script at all), requests from scripts only to this server (the passkey steps), styles from the page's stylesheet plus one inline block that
carries the page's nonce (the brand colour), forms only to this server (and to the allow-listed return URLs a
sign-in redirects to), and no framing. Templates are rendered with autoescaping, so every value a user or an
attacker supplied comes out as text.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from tokenward.api.auth import get_context, get_services
from tokenward.api.browser import BrowserConfig, origin_of
from tokenward.api.services import ApiServices
from tokenward.domain.context import RequestContext
from tokenward.domain.sessions.service import Principal, TokenPair
from tokenward.errors import CsrfFailed, InvalidGrant, InvalidToken
from tokenward.pages.oidc import client_form_target
from tokenward.pages.session import PAGE_COOKIE, PageSession, PageSessionSeal

MAX_FIELDS = 20
TEMPLATES = Environment(
    loader=PackageLoader("tokenward.pages", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class PageCsrfFailed(CsrfFailed):
    """A form without this session's synchronizer token: sent by another site, or from an expired page."""

    def __init__(self) -> None:
        super().__init__(
            "This form could not be accepted: it was not sent from this site's own page, or the page is too "
            "old. Go back, reload the page and try again."
        )


def content_security_policy(
    nonce: str, config: BrowserConfig, extra_targets: frozenset[str] = frozenset()
) -> str:
    """``extra_targets``: where this page's form may end up besides the allow-list (a registered client's
    redirect URI, at the end of an OpenID Connect sign-in)."""
    form_targets = " ".join(sorted({origin_of(url) for url in config.return_urls} | extra_targets))
    return (
        f"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; "
        f"form-action 'self'{' ' + form_targets if form_targets else ''}; frame-ancestors 'none'; "
        "base-uri 'none'"
    )


class Page:
    def __init__(
        self,
        request: Request,
        services: ApiServices,
        context: RequestContext,
        session: PageSession | None,
    ) -> None:
        self.request = request
        self.services = services
        self.context = context
        self.config: BrowserConfig = request.app.state.config.browser
        self._seal = PageSessionSeal(services.page_secret)
        self._changed = session is None
        self.session = session or PageSession.anonymous()
        self.nonce = secrets.token_urlsafe(16)
        self._form: dict[str, str] | None = None
        self._form_targets: set[str] = set()

    # ------------------------------------------------------------------------------------------- session

    def update(self, session: PageSession) -> None:
        self.session = session
        self._changed = True

    async def allow_return_to(self, return_to: str | None) -> None:
        """Let this page's form end at the client an authorization request returns to (``pages.oidc``)."""
        target = await client_form_target(self.services, return_to)
        if target is not None:
            self._form_targets.add(target)

    def take_notice(self) -> str | None:
        notice = self.session.notice
        if notice is not None:
            self.update(replace(self.session, notice=None))
        return notice

    async def sign_in(self, pair: TokenPair) -> None:
        """The browser is signed in with ``pair``. A session it was signed in with before ends: its refresh
        token was only in this cookie, which now holds the new one, so it could never be used again but would
        stay listed as signed in (a sign-in forced by ``prompt=login``, or another account on this browser)."""
        previous = self.session.refresh_token
        self.update(self.session.started(pair.access_token, pair.refresh_token))
        if previous is not None:
            await self.services.sessions.revoke_refresh_token(previous, self.context)

    def sign_out(self, notice: str | None = None) -> None:
        self.update(PageSession(csrf=secrets.token_urlsafe(32), notice=notice))

    async def principal(self) -> Principal | None:
        """The signed-in user, refreshing the session's access token when it has expired."""
        session = self.session
        if session.access_token is None:
            return None
        try:
            return await self.services.sessions.authenticate(session.access_token)
        except InvalidToken as exc:
            if exc.reason != "expired" or session.refresh_token is None:
                self.sign_out()
                return None
        try:
            pair = await self.services.sessions.refresh(session.refresh_token, self.context)
        except (InvalidGrant, InvalidToken):
            self.sign_out()
            return None
        self.update(session.with_tokens(pair.access_token, pair.refresh_token))
        return await self.services.sessions.authenticate(pair.access_token)

    # ---------------------------------------------------------------------------------------------- forms

    async def form(self) -> dict[str, str]:
        """The submitted form, after its CSRF token was checked against this session's (``PageCsrfFailed``)."""
        if self._form is None:
            content_type = self.request.headers.get("content-type", "")
            self._form = {}
            # anything but a form (no body, JSON, ...) has no token either, and is refused below
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                data = await self.request.form(max_files=0, max_fields=MAX_FIELDS)
                self._form = {key: value for key, value in data.items() if isinstance(value, str)}
        sent = self._form.get("csrf_token", "")
        if not hmac.compare_digest(sent.encode(), self.session.csrf.encode()):
            raise PageCsrfFailed()
        return self._form

    # -------------------------------------------------------------------------------------------- answers

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        html = TEMPLATES.get_template(template).render(
            brand=self.config,
            csrf_token=self.session.csrf,
            nonce=self.nonce,
            signed_in=self.session.signed_in,
            status=status,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = content_security_policy(
            self.nonce, self.config, frozenset(self._form_targets)
        )
        return self._finish(response)

    def redirect(self, url: str) -> Response:
        return self._finish(RedirectResponse(url, status_code=303))

    def json(self, data: dict[str, Any], status: int = 200) -> Response:
        """An answer to the pages' own script (passkey ceremonies), with the session cookie like any page."""
        return self._finish(JSONResponse(data, status_code=status))

    def _finish(self, response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        if self._changed:
            response.set_cookie(
                PAGE_COOKIE,
                self._seal.seal(self.session),
                path="/",
                secure=True,
                httponly=True,
                samesite="lax",
            )
        return response


async def get_page(
    request: Request,
    services: Annotated[ApiServices, Depends(get_services)],
    context: Annotated[RequestContext, Depends(get_context)],
) -> Page:
    seal = PageSessionSeal(services.page_secret)
    return Page(request, services, context, seal.open(request.cookies.get(PAGE_COOKIE)))


CurrentPage = Annotated[Page, Depends(get_page)]

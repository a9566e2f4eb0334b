"""The seam between the authorization endpoint and the hosted pages: who is signed in on this browser, and
where to send the browser to sign in.

The hosted pages keep their own sealed session cookie; they implement ``BrowserSessions`` and install it on
``app.state.browser_sessions``. Until they do, ``NoBrowserSessions`` says nobody is signed in and points at the
hosted sign-in page's address, so the authorization endpoint works (and is tested with a fake) on its own.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlencode

from fastapi import Request

from tokenward.domain.oidc import BrowserSignIn

SIGN_IN_PAGE = "/account/sign-in"
CONSENT_PAGE = "/account/consent"


class BrowserSessions(Protocol):
    async def signed_in(self, request: Request) -> BrowserSignIn | None:
        """The sign-in of the browser making ``request``, or ``None``."""
        ...

    def sign_in_url(self, return_to: str, *, force: bool) -> str:
        """The hosted sign-in page, returning to ``return_to`` (a path on this server) afterwards; ``force``:
        ask for the password even if the browser is signed in."""
        ...


def sign_in_page_url(return_to: str, *, force: bool) -> str:
    query = {"return_to": return_to} | ({"prompt": "login"} if force else {})
    return f"{SIGN_IN_PAGE}?{urlencode(query)}"


def consent_page_url(return_to: str) -> str:
    """The hosted consent page for the authorization request ``return_to`` (a path on this server)."""
    return f"{CONSENT_PAGE}?{urlencode({'return_to': return_to})}"


class NoBrowserSessions:
    async def signed_in(self, request: Request) -> BrowserSignIn | None:
        return None

    def sign_in_url(self, return_to: str, *, force: bool) -> str:
        return sign_in_page_url(return_to, force=force)


def browser_sessions(request: Request) -> BrowserSessions:
    sessions: BrowserSessions = request.app.state.browser_sessions
    return sessions

"""The cookie transport for first-party browser apps: the refresh token in a cookie no script can read.

A browser app asks for it at sign-in (``X-Tokenward-Transport: cookie`` on ``/v1/login`` and
``/v1/login/mfa``). The token response then carries the access token in its body (the app keeps it in memory)
and the refresh token only in ``Set-Cookie``: ``__Host-`` prefixed, ``Secure``, ``HttpOnly``,
``SameSite=Strict``, ``Path=/``, ``Max-Age`` the time the refresh token stays usable. ``/oauth/token`` with the
cookie (and no ``refresh_token`` parameter needed) rotates it; ``/v1/logout`` clears it.

``/v1/logout`` is authenticated by the access token in ``Authorization: Bearer``, not by the cookie, so it
needs no CSRF proof (no browser sends that header for another site, and a preflight from an origin off the
allow-list gets no CORS answer). The cookie then only decides what the answer clears: it is expired when its
session is one the sign-out ended (the token's own, or with ``all`` any of the user's) or is no longer usable,
and left alone when it keeps another live session (another account signed in in the same browser). So a
sign-out never ends, nor makes the browser drop, a session its access token does not own.

Every request the cookie authenticates, and every sign-in that asks for it, must pass ``check_cookie_request``
(an allowed ``Origin`` and the ``X-Tokenward-CSRF`` header), else ``403 csrf_failed`` before anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response

from tokenward.api.browser import BrowserConfig
from tokenward.api.csrf import check_cookie_request
from tokenward.api.transport.base import TokenTransport, no_store_json, token_document
from tokenward.api.transport.bearer import BearerTransport
from tokenward.api.transport.selection import Transports
from tokenward.domain.sessions.service import TokenPair

REFRESH_COOKIE = "__Host-tokenward-refresh"
#: the request header a sign-in names its transport in (``bearer``, the default, or ``cookie``)
TRANSPORT_HEADER = "x-tokenward-transport"


class CookieTransport:
    name = "cookie"

    def __init__(self, config: BrowserConfig) -> None:
        self.config = config
        self._bearer = BearerTransport()

    def read_access_token(self, request: Request) -> str | None:
        """The access token still travels as ``Authorization: Bearer`` (an app keeps it in memory)."""
        return self._bearer.read_access_token(request)

    def read_refresh_token(self, request: Request, body: Mapping[str, str]) -> str | None:
        """The cookie, after the CSRF check (``CsrfFailed``); ``None`` without the cookie. Never the body."""
        token = self.held_refresh_token(request)
        if token is None:
            return None
        check_cookie_request(request.headers, self.config)
        return token

    def held_refresh_token(self, request: Request) -> str | None:
        """The cookie as the browser sent it, unchecked; ``None`` without it."""
        return request.cookies.get(REFRESH_COOKIE) or None

    def write_token_response(self, pair: TokenPair) -> Response:
        response = no_store_json(token_document(pair, refresh_token=False))
        response.set_cookie(
            REFRESH_COOKIE,
            pair.refresh_token,
            max_age=max(pair.refresh_expires_in, 0),
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response

    def clear(self, response: Response) -> None:
        response.delete_cookie(REFRESH_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def sign_in_transport(request: Request, transports: Transports) -> TokenTransport:
    """The transport a sign-in names in ``X-Tokenward-Transport``; asking for the cookie passes the CSRF check
    first (login CSRF: another site must not sign the browser into the attacker's account)."""
    transport = transports.for_sign_in(request.headers.get(TRANSPORT_HEADER))
    if isinstance(transport, CookieTransport):
        check_cookie_request(request.headers, transport.config)
    return transport

"""The cookie transport for first-party browser apps: the refresh token in a cookie no script can read.

A browser app asks for it at sign-in (``X-Tokenward-Transport: cookie`` on ``/v1/login`` and
``/v1/login/mfa``). The token response then carries the access token in its body (the app keeps it in memory)
and the refresh token only in ``Set-Cookie``: ``__Host-`` prefixed, ``Secure``, ``HttpOnly``,
``SameSite=Strict``, ``Path=/``, ``Max-Age`` the time the refresh token stays usable. ``/oauth/token`` without
a ``refresh_token`` parameter takes the cookie and rotates it; ``/v1/logout`` clears it.

Every request the cookie authenticates, and every sign-in that asks for it, must pass ``check_cookie_request``
(an allowed ``Origin`` and the ``X-Tokenward-CSRF`` header), else ``403 csrf_failed`` before anything changes.

The methods are those of the API's token transport interface (``read_access_token``, ``read_refresh_token``,
``write_token_response``, ``clear``), so this class registers there unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tokenward.api.browser import BrowserConfig
from tokenward.api.csrf import check_cookie_request
from tokenward.api.schemas import TokenResponse
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidRequest

REFRESH_COOKIE = "__Host-tokenward-refresh"
TRANSPORT_HEADER = "x-tokenward-transport"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class CookieTransport:
    name = "cookie"

    def __init__(self, config: BrowserConfig) -> None:
        self.config = config

    def read_access_token(self, request: Request) -> str | None:
        """The access token still travels as ``Authorization: Bearer`` (an app keeps it in memory)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None

    def read_refresh_token(self, request: Request, body: Mapping[str, str]) -> str | None:
        """The cookie, after the CSRF check (``CsrfFailed``); ``None`` without the cookie. Never the body."""
        token = request.cookies.get(REFRESH_COOKIE)
        if not token:
            return None
        check_cookie_request(request.headers, self.config)
        return token

    def write_token_response(self, pair: TokenPair) -> Response:
        document = TokenResponse.of(pair).model_dump()
        del document["refresh_token"]
        response = JSONResponse(document, headers=NO_STORE)
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


def requested_transport(request: Request) -> CookieTransport | None:
    """The cookie transport when a sign-in asks for it (after its CSRF check), ``None`` for the default."""
    requested = request.headers.get(TRANSPORT_HEADER)
    if requested is None or requested == "bearer":
        return None
    transport: CookieTransport = request.app.state.cookie_transport
    if requested != transport.name:
        raise InvalidRequest("Unknown token transport; use one of: bearer, cookie")
    check_cookie_request(request.headers, transport.config)
    return transport


def cookie_transport(request: Request) -> CookieTransport:
    transport: CookieTransport = request.app.state.cookie_transport
    return transport

"""The transport interface: how tokens travel between this server and a client, apart from what they are.

As in fastapi-users, the *transport* (where a token is carried: a header, the body, a cookie) is kept apart
from the *strategy* (what a token is and how it is checked: here ``SessionService`` and the strict verifier).
A route never reads a token from the request or writes a token response itself; it asks the transport.

``BearerTransport`` is the one implementation today: the access token arrives in ``Authorization: Bearer``,
the refresh token in the request body, and both leave in the JSON body of the token response.

How a cookie transport plugs in (the browser mode): a ``CookieTransport`` class in ``transport/cookie.py``
with the same four methods and ``name = "cookie"``:

- ``read_access_token``: the ``Authorization: Bearer`` header, as the bearer transport (the app keeps the
  access token in memory and sends it as usual);
- ``read_refresh_token``: the ``__Host-`` cookie only, never the body (``None`` when the cookie is absent);
- ``held_refresh_token``: the same cookie without the CSRF check, for sign-out to decide whether to clear it;
- ``write_token_response``: the body without ``refresh_token`` (``token_document(pair, refresh_token=False)``)
  and a ``Set-Cookie`` with ``Secure; HttpOnly; SameSite=Strict; Path=/`` and ``Max-Age`` the session's
  remaining life;
- ``clear``: a ``Set-Cookie`` that expires the cookie.

``create_app`` then registers it: ``Transports(BearerTransport(), CookieTransport(...))``. The sign-in routes
pass what the client asked for to ``Transports.for_sign_in``; ``/oauth/token`` and ``/v1/logout`` already ask
``Transports.read_refresh_token``, which tries the cookie transport before the bearer one, so no route changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tokenward.domain.sessions.service import TokenPair

#: RFC 6749 §5.1: an answer carrying a token (or another secret shown once) must not be cached anywhere
NO_STORE: Mapping[str, str] = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenTransport(Protocol):
    """Where tokens travel, in and out. Implementations hold no state per request."""

    #: what a client names to ask for this transport at sign-in (``Transports.for_sign_in``)
    name: str

    def read_access_token(self, request: Request) -> str | None:
        """The access token the request presents, or ``None`` when it presents none this way."""
        ...

    def read_refresh_token(self, request: Request, body: Mapping[str, str]) -> str | None:
        """The refresh token the request presents, or ``None``. ``body`` holds the request's parameters
        (the ``/oauth/token`` form or JSON object; empty where a route takes no token in its body)."""
        ...

    def held_refresh_token(self, request: Request) -> str | None:
        """The refresh token the client keeps by this transport and sent along unasked (a cookie), read with
        no check at all: only to decide what an answer clears, never to authenticate anything."""
        ...

    def write_token_response(self, pair: TokenPair) -> Response:
        """The complete ``200`` answer that hands ``pair`` to the client, never cached."""
        ...

    def clear(self, response: Response) -> None:
        """Make the client forget what this transport left with it (on sign-out)."""
        ...


def token_document(pair: TokenPair, *, refresh_token: bool = True) -> dict[str, Any]:
    """The JSON body of a token response (RFC 6749 §5.1 plus ``session_id``); without the refresh token for a
    transport that carries it elsewhere."""
    # the members of ``TokenResponse`` (the OpenAPI document's schema of this body), in its order, built
    # directly: the values are already the model's types, and building the model cost a refresh ~2% of its CPU
    document: dict[str, Any] = {
        "access_token": pair.access_token,
        "token_type": pair.token_type,
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": pair.scope,
        "session_id": pair.session_id,
    }
    if pair.id_token is not None:
        document["id_token"] = pair.id_token
    if not refresh_token:
        del document["refresh_token"]
    return document


def no_store_json(document: dict[str, Any]) -> JSONResponse:
    """A JSON answer with the ``NO_STORE`` headers, for every answer that carries a token."""
    response = JSONResponse(document)
    response.headers.update(NO_STORE)
    return response

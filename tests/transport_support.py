"""A second token transport for tests, shaped as the cookie transport will be: it proves the interface is enough
for a transport that keeps the refresh token out of the body."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response

from tokenward.api.transport import no_store_json, token_document
from tokenward.domain.sessions.service import TokenPair

COOKIE = "rt"


class CookieLike:
    """The refresh token in a cookie (never read from nor written to the body); the access token in the body."""

    name = "cookie-like"

    def read_access_token(self, request: Request) -> str | None:
        return None

    def read_refresh_token(self, request: Request, body: Mapping[str, str]) -> str | None:
        return request.cookies.get(COOKIE)

    def held_refresh_token(self, request: Request) -> str | None:
        return request.cookies.get(COOKIE)

    def write_token_response(self, pair: TokenPair) -> Response:
        response = no_store_json(token_document(pair, refresh_token=False))
        response.set_cookie(COOKIE, pair.refresh_token, httponly=True, secure=True, samesite="strict")
        return response

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, httponly=True, secure=True, samesite="strict")

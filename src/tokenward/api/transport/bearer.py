"""The bearer transport (RFC 6750 and RFC 6749): tokens in the ``Authorization`` header and in JSON bodies."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from tokenward.api.transport.base import no_store_json, token_document
from tokenward.domain.sessions.service import TokenPair


class BearerTransport:
    """Access token in ``Authorization: Bearer <token>`` (the scheme in any case); refresh token as the
    ``refresh_token`` parameter of the body; both returned in the JSON body of the token response."""

    name = "bearer"

    def read_access_token(self, request: Request) -> str | None:
        scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not credentials:
            return None
        return credentials

    def read_refresh_token(self, request: Request, body: Mapping[str, str]) -> str | None:
        return body.get("refresh_token") or None

    def held_refresh_token(self, request: Request) -> str | None:
        """None: the client keeps its refresh token itself and sends it only when asked to."""
        return None

    def write_token_response(self, pair: TokenPair) -> Response:
        return no_store_json(token_document(pair))

    def clear(self, response: Response) -> None:
        """Nothing to clear: the client holds the tokens and simply forgets them."""

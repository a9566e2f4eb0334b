"""Refresh-token material: 256 random bits, shown to the client once, stored only as a SHA-256 hash.

A fast hash is right here: the token is a uniformly random 256-bit secret, so there is nothing to brute-force
and a slow hash would only slow every refresh. The ``twr_`` prefix lets secret scanners recognise a leaked
token and makes a refresh token impossible to mistake for a JWT.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "twr_"
_TOKEN_BYTES = 32
#: prefix + 43 base64url characters
TOKEN_LENGTH = len(PREFIX) + 43


def new_refresh_token() -> str:
    return PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_refresh_token(token: str) -> bool:
    """Cheap shape check before any database work; anything else is refused as an invalid grant."""
    return (
        len(token) == TOKEN_LENGTH
        and token.startswith(PREFIX)
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in token[len(PREFIX) :])
    )

"""Refresh-token material: 256 random bits, shown to the client once, stored only as a SHA-256 hash.

A fast hash is right here: the token is a uniformly random 256-bit secret, so there is nothing to brute-force
and a slow hash would only slow every refresh. The ``twr_`` prefix lets secret scanners recognise a leaked
token and makes a refresh token impossible to mistake for a JWT.
"""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "twr_"
_TOKEN_BYTES = 32
#: prefix + 43 base64url characters
TOKEN_LENGTH = len(PREFIX) + 43
#: the whole shape in one match (``\Z``, not ``$``, which would also accept a trailing newline)
_SHAPE = re.compile(rf"{PREFIX}[A-Za-z0-9_-]{{43}}\Z")


def new_refresh_token() -> str:
    return PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_refresh_token(token: str) -> bool:
    """Cheap shape check before any database work; anything else is refused as an invalid grant."""
    return _SHAPE.match(token) is not None

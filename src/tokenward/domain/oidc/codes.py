"""Authorization codes: single-use, short-lived, bound to everything the authorization request decided.

A code lives 60 seconds and is stored only as its SHA-256 hash, with the client, the exact redirect URI, the
PKCE challenge, the nonce, the scope and the browser sign-in it came from (user, session, ``auth_time``,
``amr``). Redeeming marks it used in the same statement that checks it was unused, so of two racing redemptions
only one wins; the session its tokens belong to is named before the tokens exist, so a later replay can revoke
them (RFC 6749 §4.1.2, RFC 9700 §4.2). A replay is also recorded on the code: a replay that arrives while the
first redemption is still creating that session cannot end it, so the first redemption looks again once the
session exists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tokenward.domain.oidc.ports import AuthorizationCodeRepository

CODE_PREFIX = "twa_"
CODE_LIFETIME = timedelta(seconds=60)
_CODE_BYTES = 32


def new_code() -> str:
    return CODE_PREFIX + secrets.token_urlsafe(_CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    user_id: str
    #: the browser session the user signed in with (the ID token's ``sid``)
    browser_session_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    nonce: str | None
    auth_time: datetime
    amr: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    #: the session the code's tokens belong to, named when it was redeemed
    token_session_id: str | None = None
    #: when the code was presented again after its first use (its tokens are then revoked)
    replayed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Redemption:
    """What ``consume`` found: the code as stored, and whether this call was the one that used it."""

    code: AuthorizationCode
    first_use: bool


class ExpiredAuthorizationCodes:
    """Clean-up of authorization codes past their minute (used or not): nothing can redeem them any more."""

    #: not "authorization_codes": audit redaction blanks any detail whose key names a code
    name = "authorization_grants"

    def __init__(self, codes: AuthorizationCodeRepository) -> None:
        self._codes = codes

    async def delete_expired(self, now: datetime, policy: object) -> int:
        return await self._codes.delete_expired(now)

"""Single-use tokens sent by e-mail: address verification, password reset, "this was not me", and the two
links of a change of address.

Each token is 256 random bits behind a prefix naming its purpose (``twv_`` verification, ``twp_`` reset,
``twn_`` not me, ``twc_`` confirm a new address, ``twr_`` revert a change of address), shown once in an e-mail and stored only as a SHA-256 hash together with its purpose, user,
expiry and use. A fast hash is right: the token is uniformly random, so a leaked hash cannot be brute-forced.

A token only ever works for its own purpose: the look-up matches the hash *and* the purpose, and the prefix is
checked before any storage work, so a reset token offered to the verification endpoint (or an access token,
a refresh token, an MFA token offered anywhere here) is refused with the same ``invalid_one_time_token``.
Use is one conditional UPDATE (``used_at`` set only while it is empty and the token has not expired), so two
requests with one token cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from tokenward.domain.clock import Clock
from tokenward.domain.email.model import OneTimeTokenRecord
from tokenward.domain.email.ports import OneTimeTokenRepository
from tokenward.errors import InvalidOneTimeToken

_TOKEN_BYTES = 32
#: 43 base64url characters of randomness after the prefix
_RANDOM_LENGTH = 43


class TokenPurpose(StrEnum):
    EMAIL_VERIFICATION = "email_verification"
    PASSWORD_RESET = "password_reset"
    NOT_ME = "not_me"
    EMAIL_CHANGE = "email_change"
    EMAIL_CHANGE_REVERT = "email_change_revert"


PREFIXES: dict[TokenPurpose, str] = {
    TokenPurpose.EMAIL_VERIFICATION: "twv_",
    TokenPurpose.PASSWORD_RESET: "twp_",
    TokenPurpose.NOT_ME: "twn_",
    TokenPurpose.EMAIL_CHANGE: "twc_",
    TokenPurpose.EMAIL_CHANGE_REVERT: "twr_",
}


def new_opaque_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_opaque_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def has_shape(token: str, prefix: str) -> bool:
    """Cheap check before any database work: the prefix and 43 base64url characters."""
    body = token[len(prefix) :]
    return (
        token.startswith(prefix)
        and len(body) == _RANDOM_LENGTH
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
    )


class OneTimeTokens:
    def __init__(self, repository: OneTimeTokenRepository, clock: Clock) -> None:
        self._repository = repository
        self._clock = clock

    async def issue(
        self,
        purpose: TokenPurpose,
        user_id: str,
        lifetime: timedelta,
        *,
        session_id: str | None = None,
        email: str | None = None,
        replace_earlier: bool = False,
    ) -> str:
        """Create a token and return it (the only time it exists in clear text)."""
        now = self._clock.now()
        if replace_earlier:
            await self._repository.discard_for_user(user_id, purpose, now)
        token = new_opaque_token(PREFIXES[purpose])
        await self._repository.add(
            OneTimeTokenRecord(
                token_hash=hash_opaque_token(token),
                purpose=purpose,
                user_id=user_id,
                created_at=now,
                expires_at=now + lifetime,
                session_id=session_id,
                email=email,
            )
        )
        return token

    async def discard(
        self, user_id: str, purpose: TokenPurpose, *, created_after: datetime | None = None
    ) -> int:
        """Make the user's unused tokens of this purpose (only those newer than ``created_after``) unusable."""
        return await self._repository.discard_for_user(
            user_id, purpose, self._clock.now(), created_after=created_after
        )

    async def peek(self, purpose: TokenPurpose, token: str) -> OneTimeTokenRecord:
        """The usable token's record without using it (to check input before spending the token)."""
        if not isinstance(token, str) or not has_shape(token, PREFIXES[purpose]):
            raise InvalidOneTimeToken()
        record = await self._repository.find(hash_opaque_token(token), purpose, self._clock.now())
        if record is None:
            raise InvalidOneTimeToken()
        return record

    async def consume(self, purpose: TokenPurpose, token: str) -> OneTimeTokenRecord:
        """Use the token once; raise ``InvalidOneTimeToken`` for anything else, without saying why."""
        if not isinstance(token, str) or not has_shape(token, PREFIXES[purpose]):
            raise InvalidOneTimeToken()
        record = await self._repository.consume(hash_opaque_token(token), purpose, self._clock.now())
        if record is None:
            raise InvalidOneTimeToken()
        return record

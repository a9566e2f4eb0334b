"""The ports the MFA package needs: factors, recovery codes and challenges (``adapters/sql/mfa.py``), passkeys
and one-time codes (``adapters/sql/factors.py``).

Every single-use rule is a conditional write in the port, never a read followed by a write: a WebAuthn challenge
is taken with ``used_at IS NULL``, a sign counter moves only from the value read, a one-time code is used with
``used_at IS NULL AND failed_attempts < :max``. Exactly one of two racing requests wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.mfa.model import (
        Channel,
        CodePurpose,
        MfaChallenge,
        OtpChallenge,
        OtpFactor,
        Passkey,
        TotpFactor,
        WebAuthnChallenge,
    )


class MfaRepository(Protocol):
    async def active_totp(self, user_id: str) -> TotpFactor | None: ...

    async def pending_totp(self, user_id: str) -> TotpFactor | None: ...

    async def save_pending_totp(self, factor: TotpFactor) -> None:
        """Store a new unconfirmed factor, replacing any earlier unconfirmed one of the user."""
        ...

    async def activate_totp(
        self, factor_id: str, step: int, now: datetime, recovery_code_hashes: Sequence[str]
    ) -> bool:
        """In one transaction: confirm the pending factor with its first accepted step, drop the user's other
        factors, and replace the recovery codes. ``False`` (and no change) when it is no longer pending."""
        ...

    async def claim_totp_step(self, factor_id: str, step: int) -> bool:
        """Record ``step`` as used if it is newer than the last used one; exactly one concurrent caller wins."""
        ...

    async def remove_totp(self, user_id: str) -> bool:
        """Delete every TOTP factor and recovery code of the user; ``True`` if an active factor was removed."""
        ...

    async def replace_recovery_codes(
        self, user_id: str, code_hashes: Sequence[str], now: datetime
    ) -> None: ...

    async def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        """Mark the code used if it is the user's and unused; exactly one concurrent caller wins."""
        ...

    async def unused_recovery_codes(self, user_id: str) -> int: ...

    async def all_totp_factors(self) -> list[TotpFactor]:
        """Every factor, pending or confirmed (key-encryption-key rotation)."""
        ...

    async def replace_encrypted_secrets(self, secrets_by_factor: Mapping[str, bytes]) -> None:
        """Store re-encrypted secrets, all in one transaction."""
        ...


class MfaChallengeRepository(Protocol):
    async def add_challenge(self, challenge: MfaChallenge) -> None: ...

    async def get_challenge(self, token_hash: str) -> MfaChallenge | None: ...

    async def count_challenge_failure(self, token_hash: str) -> int:
        """Add one failed attempt and return the new count."""
        ...

    async def consume_challenge(self, token_hash: str, now: datetime, max_failures: int) -> bool:
        """Mark the challenge used if it is unused and has fewer than ``max_failures`` failures."""
        ...

    async def delete_expired_challenges(self, before: datetime) -> int:
        """Delete challenges that expired before ``before``, used or not; return how many went."""
        ...


class PasskeyRepository(Protocol):
    async def add_passkey(self, passkey: Passkey) -> bool:
        """Store a new credential; ``False`` when its credential id is already registered (to anyone)."""
        ...

    async def passkeys_of(self, user_id: str) -> list[Passkey]:
        """The user's passkeys, oldest first."""
        ...

    async def passkey(self, credential_id: str) -> Passkey | None: ...

    async def rename_passkey(self, user_id: str, credential_id: str, name: str) -> bool: ...

    async def delete_passkey(self, user_id: str, credential_id: str) -> bool: ...

    async def advance_sign_count(self, credential_id: str, old: int, new: int, now: datetime) -> bool:
        """Store ``new`` as the counter (and the use) if the stored one is still ``old``."""
        ...

    async def add_webauthn_challenge(self, challenge: WebAuthnChallenge) -> None: ...

    async def take_webauthn_challenge(self, challenge_hash: str, now: datetime) -> WebAuthnChallenge | None:
        """Mark the challenge used and return it, if it exists and was unused; else ``None``."""
        ...

    async def delete_expired_webauthn_challenges(self, before: datetime) -> int: ...


class OtpRepository(Protocol):
    async def otp_factors_of(self, user_id: str) -> list[OtpFactor]: ...

    async def save_otp_factor(
        self, factor: OtpFactor, challenge_id: str, now: datetime, max_failures: int
    ) -> bool:
        """In one transaction: use the enrolment code's challenge up and store the factor, replacing the user's
        factor of that channel. ``False`` (and no change) when the challenge was used or spent meanwhile."""
        ...

    async def delete_otp_factor(self, user_id: str, channel: Channel) -> bool: ...

    async def add_otp_challenge(self, challenge: OtpChallenge) -> None:
        """Store a new code, voiding the unused codes of the same user, channel, purpose and binding."""
        ...

    async def live_otp_challenge(
        self, user_id: str, channel: Channel, purpose: CodePurpose, binding: str | None, now: datetime
    ) -> OtpChallenge | None:
        """The newest unused, unexpired code of that kind."""
        ...

    async def count_otp_failure(self, challenge_id: str) -> int:
        """Add one failed attempt; return the new count."""
        ...

    async def use_otp_challenge(self, challenge_id: str, now: datetime, max_failures: int) -> bool: ...

    async def delete_expired_otp_challenges(self, before: datetime) -> int: ...


class FactorIndex(Protocol):
    async def factor_kinds(self, user_id: str) -> frozenset[str]:
        """In one read, the kinds of second factor the user has: ``totp`` (a confirmed app), ``webauthn`` (at
        least one passkey) and the channel (``sms``, ``email``) of each proven destination. The same answer as
        ``active_totp``, ``passkeys_of`` and ``otp_factors_of`` together, which cost three reads on every
        sign-in."""
        ...

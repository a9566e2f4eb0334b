"""The ports the MFA package needs: factors, recovery codes and challenges (``adapters/sql/mfa.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.mfa.model import MfaChallenge, TotpFactor


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

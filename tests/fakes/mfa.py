"""Second factors: TOTP factors with recovery codes, and the pending sign-in challenges."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from tests.fakes.base import DuplicateKey
from tokenward.domain.mfa.model import MfaChallenge, TotpFactor


@dataclass
class _RecoveryCode:
    user_id: str
    used_at: datetime | None = None


class FakeMfaRepository:
    def __init__(self) -> None:
        self._factors: dict[str, TotpFactor] = {}
        self._codes: dict[str, _RecoveryCode] = {}

    async def active_totp(self, user_id: str) -> TotpFactor | None:
        return self._newest(user_id, confirmed=True)

    async def pending_totp(self, user_id: str) -> TotpFactor | None:
        return self._newest(user_id, confirmed=False)

    async def save_pending_totp(self, factor: TotpFactor) -> None:
        self._drop_factors(lambda f: f.user_id == factor.user_id and not f.confirmed)
        if factor.id in self._factors:
            raise DuplicateKey(f"duplicate factor id {factor.id!r}")
        self._factors[factor.id] = replace(factor, confirmed_at=None, last_step=None)

    async def activate_totp(
        self, factor_id: str, step: int, now: datetime, recovery_code_hashes: Sequence[str]
    ) -> bool:
        factor = self._factors.get(factor_id)
        if factor is None or factor.confirmed:
            return False
        self._factors[factor_id] = replace(factor, confirmed_at=now, last_step=step)
        self._drop_factors(lambda f: f.user_id == factor.user_id and f.id != factor_id)
        await self.replace_recovery_codes(factor.user_id, recovery_code_hashes, now)
        return True

    async def claim_totp_step(self, factor_id: str, step: int) -> bool:
        factor = self._factors.get(factor_id)
        if (
            factor is None
            or not factor.confirmed
            or (factor.last_step is not None and factor.last_step >= step)
        ):
            return False
        self._factors[factor_id] = replace(factor, last_step=step)
        return True

    async def remove_totp(self, user_id: str) -> bool:
        was_active = self._newest(user_id, confirmed=True) is not None
        self._drop_factors(lambda f: f.user_id == user_id)
        self._codes = {h: c for h, c in self._codes.items() if c.user_id != user_id}
        return was_active

    async def replace_recovery_codes(self, user_id: str, code_hashes: Sequence[str], now: datetime) -> None:
        self._codes = {h: c for h, c in self._codes.items() if c.user_id != user_id}
        for code_hash in code_hashes:
            if code_hash in self._codes:
                raise DuplicateKey("duplicate recovery code hash")
            self._codes[code_hash] = _RecoveryCode(user_id)

    async def use_recovery_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        code = self._codes.get(code_hash)
        if code is None or code.user_id != user_id or code.used_at is not None:
            return False
        code.used_at = now
        return True

    async def unused_recovery_codes(self, user_id: str) -> int:
        return sum(1 for c in self._codes.values() if c.user_id == user_id and c.used_at is None)

    async def all_totp_factors(self) -> list[TotpFactor]:
        return sorted(self._factors.values(), key=lambda f: f.created_at)

    async def replace_encrypted_secrets(self, secrets_by_factor: Mapping[str, bytes]) -> None:
        for factor_id, sealed in secrets_by_factor.items():
            if factor_id in self._factors:
                self._factors[factor_id] = replace(self._factors[factor_id], encrypted_secret=sealed)

    def _newest(self, user_id: str, *, confirmed: bool) -> TotpFactor | None:
        mine = [f for f in self._factors.values() if f.user_id == user_id and f.confirmed is confirmed]
        return max(mine, key=lambda f: f.created_at, default=None)

    def _drop_factors(self, doomed: Callable[[TotpFactor], bool]) -> None:
        self._factors = {i: f for i, f in self._factors.items() if not doomed(f)}


class FakeMfaChallengeRepository:
    def __init__(self) -> None:
        self._challenges: dict[str, MfaChallenge] = {}

    async def add_challenge(self, challenge: MfaChallenge) -> None:
        if challenge.token_hash in self._challenges:
            raise DuplicateKey("duplicate challenge")
        self._challenges[challenge.token_hash] = challenge

    async def get_challenge(self, token_hash: str) -> MfaChallenge | None:
        return self._challenges.get(token_hash)

    async def count_challenge_failure(self, token_hash: str) -> int:
        challenge = self._challenges.get(token_hash)
        if challenge is None:
            return 0
        counted = self._challenges[token_hash] = replace(
            challenge, failed_attempts=challenge.failed_attempts + 1
        )
        return counted.failed_attempts

    async def consume_challenge(self, token_hash: str, now: datetime, max_failures: int) -> bool:
        challenge = self._challenges.get(token_hash)
        if challenge is None or challenge.used_at is not None or challenge.failed_attempts >= max_failures:
            return False
        self._challenges[token_hash] = replace(challenge, used_at=now)
        return True

    async def delete_expired_challenges(self, before: datetime) -> int:
        expired = [h for h, c in self._challenges.items() if c.expires_at < before]
        for token_hash in expired:
            del self._challenges[token_hash]
        return len(expired)

"""Passwords as the account services use them: policy check, off-loop hashing, constant-cost verification.

One place combines the policy, the Argon2id hasher and the bounded hashing pool, so that every path (sign-up,
sign-in, password change, the CLI) normalises once, hashes off the event loop, and pays the same cost for an
unknown account as for a known one.
"""

from __future__ import annotations

from tokenward.domain.accounts.passwords import (
    HashingPool,
    PasswordChecker,
    PasswordHasher,
    VerifyResult,
    context_words_for,
    normalize_password,
)


class Credentials:
    def __init__(
        self, checker: PasswordChecker, hasher: PasswordHasher, pool: HashingPool, service_name: str
    ) -> None:
        self._checker = checker
        self._hasher = hasher
        self._pool = pool
        self._service_name = service_name

    def check_new_password(self, password: str, email: str) -> str:
        """Raise ``PasswordRejected`` naming every broken rule; return the normalised password."""
        normalized = normalize_password(password)
        self._checker.check(normalized, context_words_for(email, self._service_name))
        return normalized

    async def hash_new_password(self, password: str, email: str) -> str:
        normalized = self.check_new_password(password, email)
        return await self._pool.run(self._hasher.hash, normalized)

    async def hash_checked(self, normalized_password: str) -> str:
        return await self._pool.run(self._hasher.hash, normalized_password)

    async def verify(self, stored_hash: str | None, password: str) -> VerifyResult:
        """Verify, or run a dummy verification of the same cost when there is no hash (unknown account)."""
        normalized = normalize_password(password)
        if stored_hash is None:
            await self._pool.run(self._hasher.dummy_verify, normalized)
            return VerifyResult(ok=False, needs_rehash=False)
        return await self._pool.run(self._hasher.verify, stored_hash, normalized)

    async def rehash(self, password: str) -> str:
        return await self._pool.run(self._hasher.hash, normalize_password(password))

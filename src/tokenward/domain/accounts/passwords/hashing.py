"""Argon2id password hashing, verification of imported hashes, and the dummy verification for unknown users.

Imported hashes of other schemes (bcrypt, PBKDF2, scrypt) are parsed and verified by ``foreign``.

Argon2id is memory-hard, which makes offline cracking of a leaked database expensive on GPUs; the defaults are
the OWASP Password Storage Cheat Sheet's (19 MiB, 2 passes, 1 lane). Hashes made with other parameters or
another scheme still verify and report ``needs_rehash`` so the account service upgrades them at the next
successful sign-in, the only moment the clear password is known.

:meth:`PasswordHasher.verify` never raises for a wrong password or a damaged stored hash: a sign-in answers
"invalid credentials" either way, and an exception path would be a different timing and a different code path.

Callers pass passwords already normalised with :func:`~tokenward.domain.accounts.passwords.policy.normalize_password`.
These calls are CPU- and memory-heavy: run them through :class:`~tokenward.domain.accounts.passwords.pool.HashingPool`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from tokenward.domain.accounts.passwords.foreign import foreign_hash_problem, verify_foreign

#: argon2's own lower bound: 8 KiB of memory per lane
_ARGON2_MIN_KIB_PER_LANE = 8
_SALT_LEN = 16
_HASH_LEN = 32

# Upper bounds on the cost of a stored hash we agree to verify. A stored hash is trusted data, but an imported
# or tampered one with m=4 GiB or a billion PBKDF2 rounds would turn one sign-in into a denial of service.
_MAX_STORED_MEMORY_KIB = 1024 * 1024
_MAX_STORED_TIME_COST = 64
_MAX_STORED_PARALLELISM = 64

_ARGON2_PREFIXES = ("$argon2id$", "$argon2i$")


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """Argon2id cost parameters; the defaults are OWASP's (m=19 MiB, t=2, p=1)."""

    memory_kib: int = 19456
    time_cost: int = 2
    parallelism: int = 1

    def __post_init__(self) -> None:
        if self.parallelism < 1 or self.time_cost < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_kib < _ARGON2_MIN_KIB_PER_LANE * self.parallelism:
            raise ValueError(f"memory_kib must be at least {_ARGON2_MIN_KIB_PER_LANE} KiB per lane")

    @classmethod
    def for_tests(cls) -> Argon2Parameters:
        """The cheapest parameters argon2 accepts, so test suites run fast.

        FOR TESTS ONLY: these offer no protection against offline cracking; never use them in production.
        """
        return cls(memory_kib=_ARGON2_MIN_KIB_PER_LANE, time_cost=1, parallelism=1)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a verification. ``needs_rehash`` is only ever true together with ``ok``."""

    ok: bool
    needs_rehash: bool = False


_FAILED = VerifyResult(ok=False)


def imported_hash_problem(stored_hash: str) -> str | None:
    """Why a hash from another system cannot be imported (never repeating it), or ``None`` when it can."""
    if not stored_hash.startswith(_ARGON2_PREFIXES):
        return foreign_hash_problem(stored_hash)
    try:
        stored = argon2.extract_parameters(stored_hash)
    except InvalidHashError:
        return "argon2: not a well-formed $argon2id$ or $argon2i$ hash"
    if _too_costly(stored):
        return "argon2: the cost parameters are above what this server verifies"
    return None


def _too_costly(stored: argon2.Parameters) -> bool:
    return (
        stored.memory_cost > _MAX_STORED_MEMORY_KIB
        or stored.time_cost > _MAX_STORED_TIME_COST
        or stored.parallelism > _MAX_STORED_PARALLELISM
    )


class PasswordHasher:
    """Hashes new passwords with Argon2id and verifies stored Argon2 hashes and imported ones (``foreign``)."""

    def __init__(self, params: Argon2Parameters | None = None) -> None:
        self.params = params or Argon2Parameters()
        self._argon2 = argon2.PasswordHasher(
            time_cost=self.params.time_cost,
            memory_cost=self.params.memory_kib,
            parallelism=self.params.parallelism,
            hash_len=_HASH_LEN,
            salt_len=_SALT_LEN,
            type=argon2.Type.ID,
        )
        # Made once with the same parameters as real hashes, so a dummy verification costs exactly as much.
        self._dummy_hash = self._argon2.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        """Return a PHC-format Argon2id hash (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``) with a fresh salt."""
        return self._argon2.hash(_encode(password))

    def verify(self, stored_hash: str, password: str) -> VerifyResult:
        """Check ``password`` against ``stored_hash``; ``ok=False`` for a mismatch or an unusable hash."""
        if not stored_hash.isascii():
            return _FAILED
        if stored_hash.startswith(_ARGON2_PREFIXES):
            return self._verify_argon2(stored_hash, password)
        if verify_foreign(stored_hash, _encode(password)):
            return VerifyResult(ok=True, needs_rehash=True)
        return _FAILED

    def dummy_verify(self, password: str) -> None:
        """Run a real Argon2 verification whose result is thrown away.

        Called when the account does not exist, so "no such user" takes as long as "wrong password" and the
        answer time does not reveal which e-mail addresses have accounts.
        """
        self.verify(self._dummy_hash, password)

    def _verify_argon2(self, stored_hash: str, password: str) -> VerifyResult:
        try:
            stored = argon2.extract_parameters(stored_hash)
        except InvalidHashError:
            return _FAILED
        if _too_costly(stored):
            return _FAILED
        try:
            self._argon2.verify(stored_hash, _encode(password))
        except (VerificationError, InvalidHashError):
            return _FAILED
        return VerifyResult(ok=True, needs_rehash=self._argon2.check_needs_rehash(stored_hash))


def _encode(password: str) -> bytes:
    """UTF-8, letting lone surrogates through so that verification never raises and always costs the same.

    The policy refuses surrogates in new passwords, so such input can never match a stored hash.
    """
    return password.encode("utf-8", "surrogatepass")

"""Personal fields of audit events, sealed per user so that erasing the user can make them unreadable.

The audit trail is append-only and hash-chained, so a user's IP addresses and browser strings cannot be
deleted from it row by row. Instead each user gets a data key (256 bits, stored only wrapped under the
key-encryption key) and the personal fields of every event about them are stored encrypted under it. Erasing
the user destroys the key (crypto-shredding): the ciphertext stays, the chain still verifies, nothing can read
it. Events about no user (a failed sign-in for an unknown address) use the shared subject ``ANONYMOUS``.

A destroyed key is remembered (the row stays, without key), so an event that arrives after the erasure, from a
sign-in that raced it, is stored without its personal fields instead of under a fresh key.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tokenward.domain.clock import Clock
from tokenward.domain.keys.encryption import KEK_BYTES, KeyDecryptionError, KeyEncryptor

#: the fields of an event that are personal data; everything else in an event must not be
PERSONAL_FIELDS = ("ip", "user_agent")
#: the subject whose key seals events about no user
ANONYMOUS = "*"
#: how long this process keeps an unwrapped data key; a key destroyed by another process is used by this one
#: for at most this long (what it seals then is unreadable anyway: the stored key is gone)
DATA_KEY_CACHE_SECONDS = 60
_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class StoredDataKey:
    user_id: str
    #: the data key under the KEK; ``None`` once destroyed
    wrapped_key: bytes | None
    created_at: datetime
    destroyed_at: datetime | None = None
    #: ``False`` when read inside a unit of work that has not committed yet (``domain/transactions.py``): the
    #: row may be this unit's own insert, gone if it rolls back, so the vault does not keep it in its cache
    settled: bool = True


class DataKeyRepository(Protocol):
    async def create(self, key: StoredDataKey) -> None:
        """Store the key unless the subject already has a row (kept or destroyed); a lost race is no error."""
        ...

    async def get(self, user_id: str) -> StoredDataKey | None: ...

    async def destroy(self, user_id: str, now: datetime) -> None:
        """Forget the key for good and remember that it was destroyed (creates the row when missing)."""
        ...

    async def all_wrapped(self) -> dict[str, bytes]:
        """Every live wrapped key by subject (KEK rotation)."""
        ...

    async def replace_wrapped(self, wrapped: Mapping[str, bytes]) -> None: ...


def subject_of(user_id: str | None) -> str:
    return user_id or ANONYMOUS


def _wrap_binding(subject: str) -> str:
    return f"audit-data-key:{subject}"


def _seal_binding(subject: str) -> str:
    return f"audit-personal:{subject}"


class PersonalDataVault:
    """Seals and opens personal fields under per-subject data keys; destroys a subject's key on erasure."""

    def __init__(
        self,
        keys: DataKeyRepository,
        encryptor: KeyEncryptor,
        clock: Clock,
        *,
        cache_seconds: float = DATA_KEY_CACHE_SECONDS,
    ) -> None:
        self._keys = keys
        self._encryptor = encryptor
        self._clock = clock
        self._cache_for = timedelta(seconds=cache_seconds)
        self._cache: OrderedDict[str, tuple[KeyEncryptor | None, datetime]] = OrderedDict()

    async def seal(self, user_id: str | None, fields: Mapping[str, str]) -> bytes | None:
        """The fields encrypted under the subject's key; ``None`` (nothing kept) once the key is destroyed."""
        subject = subject_of(user_id)
        cipher = await self._cipher(subject, create=True)
        if cipher is None:
            return None
        plaintext = json.dumps(dict(fields), sort_keys=True, separators=(",", ":")).encode("utf-8")
        return cipher.encrypt(plaintext, _seal_binding(subject))

    async def open(self, user_id: str | None, sealed: bytes) -> dict[str, str] | None:
        """The fields, or ``None`` when the key was destroyed (erasure) or the ciphertext does not open."""
        subject = subject_of(user_id)
        cipher = await self._cipher(subject, create=False)
        if cipher is None:
            return None
        try:
            opened: dict[str, str] = json.loads(cipher.decrypt(sealed, _seal_binding(subject)))
        except KeyDecryptionError:
            return None
        return opened

    async def destroy(self, user_id: str) -> None:
        """Crypto-shred everything sealed for this user, in every copy of the database that lacks the key."""
        self._cache.pop(user_id, None)
        await self._keys.destroy(user_id, self._clock.now())

    async def rewrapped_keys(self, new_encryptor: KeyEncryptor) -> dict[str, bytes]:
        """Every data key re-wrapped under a new KEK, not yet stored (raises before any write on a bad KEK)."""
        return {
            subject: self._encryptor.rewrap(wrapped, _wrap_binding(subject), new_encryptor)
            for subject, wrapped in (await self._keys.all_wrapped()).items()
        }

    async def store_rewrapped_keys(self, wrapped: Mapping[str, bytes]) -> None:
        await self._keys.replace_wrapped(wrapped)

    async def _cipher(self, subject: str, *, create: bool) -> KeyEncryptor | None:
        now = self._clock.now()
        cached = self._cache.get(subject)
        if cached is not None and now - cached[1] < self._cache_for:
            return cached[0]
        stored = await self._keys.get(subject)
        if stored is None and create:
            await self._keys.create(
                StoredDataKey(
                    user_id=subject,
                    wrapped_key=self._encryptor.encrypt(os.urandom(KEK_BYTES), _wrap_binding(subject)),
                    created_at=now,
                )
            )
            # read back: another process may have created (or destroyed) it first
            stored = await self._keys.get(subject)
        if stored is None:
            return None
        cipher = None
        if stored.wrapped_key is not None:
            cipher = KeyEncryptor(self._encryptor.decrypt(stored.wrapped_key, _wrap_binding(subject)))
        if stored.settled:
            self._remember(subject, cipher, now)
        return cipher

    def _remember(self, subject: str, cipher: KeyEncryptor | None, now: datetime) -> None:
        self._cache.pop(subject, None)
        self._cache[subject] = (cipher, now)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

"""The ports the keys package needs: where signing keys are stored (``adapters/sql/keys.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.keys.model import KeyState, StoredKey


class KeyRepository(Protocol):
    async def list_keys(self) -> list[StoredKey]:
        """Every key in any state, oldest first."""
        ...

    async def add(self, key: StoredKey) -> None: ...

    async def set_state(
        self, kid: str, state: KeyState, at: datetime, *, expected: KeyState | None = None
    ) -> bool:
        """Move a key to ``state``; sets ``activated_at`` for ACTIVE and ``retired_at`` for RETIRED/REVOKED.

        With ``expected``, only if the key is in that state right now (one conditional UPDATE), so of several
        processes attempting the same transition exactly one gets ``True``. ``NotFound`` for an unknown kid.
        """
        ...

    async def delete(self, kid: str) -> bool:
        """Remove a key for good (a retired key past its retention); ``False`` if it was already gone."""
        ...

    async def replace_encrypted_private_keys(self, encrypted: Mapping[str, bytes]) -> None:
        """Store re-encrypted private keys for every kid in ``encrypted``, all in one transaction (KEK rotation):
        either every key is under the new key-encryption key afterwards, or none is."""
        ...

    async def replace_encrypted_private_key(self, kid: str, encrypted_private_key: bytes) -> None:
        """Store a re-encrypted private key (key-encryption-key rotation)."""
        ...

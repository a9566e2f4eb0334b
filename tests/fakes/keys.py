"""Signing keys: the key repository."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from tests.fakes.base import DuplicateKey
from tokenward.domain.keys.model import KeyState, StoredKey
from tokenward.errors import NotFound


class FakeKeyRepository:
    def __init__(self) -> None:
        self._keys: dict[str, StoredKey] = {}

    async def list_keys(self) -> list[StoredKey]:
        return sorted(self._keys.values(), key=lambda k: (k.created_at, k.kid))

    async def add(self, key: StoredKey) -> None:
        if key.kid in self._keys:
            raise DuplicateKey(f"duplicate kid {key.kid!r}")
        self._keys[key.kid] = key

    async def set_state(
        self, kid: str, state: KeyState, at: datetime, *, expected: KeyState | None = None
    ) -> bool:
        key = self._get(kid)
        if expected is not None and key.state is not expected:
            return False
        if state is KeyState.ACTIVE:
            key = replace(key, activated_at=at)
        elif state in (KeyState.RETIRED, KeyState.REVOKED):
            key = replace(key, retired_at=at)
        self._keys[kid] = replace(key, state=state)
        return True

    async def delete(self, kid: str) -> bool:
        return self._keys.pop(kid, None) is not None

    async def replace_encrypted_private_keys(self, encrypted: Mapping[str, bytes]) -> None:
        for kid in encrypted:
            self._get(kid)  # all or nothing: every kid must exist before any is changed
        for kid, blob in encrypted.items():
            self._keys[kid] = replace(self._keys[kid], encrypted_private_key=blob)

    async def replace_encrypted_private_key(self, kid: str, encrypted_private_key: bytes) -> None:
        await self.replace_encrypted_private_keys({kid: encrypted_private_key})

    def _get(self, kid: str) -> StoredKey:
        if kid not in self._keys:
            raise NotFound("signing key not found")
        return self._keys[kid]

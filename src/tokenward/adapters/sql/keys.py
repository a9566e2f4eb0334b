"""``KeyRepository`` on SQL: signing keys with their private halves stored only encrypted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import signing_keys
from tokenward.domain.keys.model import KeyState, StoredKey
from tokenward.errors import NotFound


class SqlKeyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_keys(self) -> list[StoredKey]:
        statement = select(signing_keys).order_by(signing_keys.c.created_at, signing_keys.c.kid)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_key(row) for row in rows]

    async def add(self, key: StoredKey) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(signing_keys).values(
                    kid=key.kid,
                    alg=key.alg,
                    state=key.state.value,
                    public_jwk=dict(key.public_jwk),
                    encrypted_private_key=key.encrypted_private_key,
                    created_at=key.created_at,
                    activated_at=key.activated_at,
                    retired_at=key.retired_at,
                )
            )

    async def set_state(
        self, kid: str, state: KeyState, at: datetime, *, expected: KeyState | None = None
    ) -> bool:
        values: dict[str, Any] = {"state": state.value}
        if state is KeyState.ACTIVE:
            values["activated_at"] = at
        elif state in (KeyState.RETIRED, KeyState.REVOKED):
            values["retired_at"] = at
        statement = update(signing_keys).where(signing_keys.c.kid == kid).values(values)
        if expected is not None:
            statement = statement.where(signing_keys.c.state == expected.value)
        async with self._db.write() as conn:
            if (await conn.execute(statement)).rowcount == 1:
                return True
            exists = select(signing_keys.c.kid).where(signing_keys.c.kid == kid)
            if (await conn.execute(exists)).one_or_none() is None:
                raise NotFound("signing key not found")
        return False

    async def delete(self, kid: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(delete(signing_keys).where(signing_keys.c.kid == kid))
        return bool(result.rowcount)

    async def replace_encrypted_private_key(self, kid: str, encrypted_private_key: bytes) -> None:
        await self.replace_encrypted_private_keys({kid: encrypted_private_key})

    async def replace_encrypted_private_keys(self, encrypted: Mapping[str, bytes]) -> None:
        async with self._db.write() as conn:
            for kid, blob in encrypted.items():
                statement = (
                    update(signing_keys).where(signing_keys.c.kid == kid).values(encrypted_private_key=blob)
                )
                if (await conn.execute(statement)).rowcount != 1:
                    raise NotFound("signing key not found")


def _key(row: Row[Any]) -> StoredKey:
    return StoredKey(
        kid=row.kid,
        alg=row.alg,
        state=KeyState(row.state),
        public_jwk=dict(row.public_jwk),
        encrypted_private_key=bytes(row.encrypted_private_key),
        created_at=row.created_at,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
    )

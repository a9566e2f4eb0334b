"""``DataKeyRepository`` on SQL: the per-user data keys that seal audit personal fields, wrapped under the KEK.

``create`` never overwrites (a key that exists, or was destroyed, stays as it is); ``destroy`` is an upsert
that empties the key, so a destruction wins over a creation racing it, whichever commits first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import audit_data_keys
from tokenward.domain.audit.personal import StoredDataKey


class SqlDataKeyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        return (postgresql.insert if self._db.is_postgresql else sqlite.insert)(audit_data_keys)

    async def create(self, key: StoredDataKey) -> None:
        statement = self._insert().values(
            user_id=key.user_id, wrapped_key=key.wrapped_key, created_at=key.created_at
        )
        async with self._db.write() as conn:
            await conn.execute(statement.on_conflict_do_nothing(index_elements=["user_id"]))

    async def get(self, user_id: str) -> StoredDataKey | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(audit_data_keys).where(audit_data_keys.c.user_id == user_id))
            ).one_or_none()
        if row is None:
            return None
        return StoredDataKey(
            user_id=row.user_id,
            wrapped_key=row.wrapped_key,
            created_at=row.created_at,
            destroyed_at=row.destroyed_at,
            settled=not self._db.in_unit_of_work(),
        )

    async def destroy(self, user_id: str, now: datetime) -> None:
        statement = self._insert().values(user_id=user_id, wrapped_key=None, created_at=now, destroyed_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"wrapped_key": None, "destroyed_at": now}
        )
        async with self._db.write() as conn:
            await conn.execute(statement)

    async def all_wrapped(self) -> dict[str, bytes]:
        statement = select(audit_data_keys.c.user_id, audit_data_keys.c.wrapped_key).where(
            audit_data_keys.c.wrapped_key.is_not(None)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return {row.user_id: row.wrapped_key for row in rows}

    async def replace_wrapped(self, wrapped: Mapping[str, bytes]) -> None:
        async with self._db.write() as conn:
            for user_id, key in wrapped.items():
                await conn.execute(
                    update(audit_data_keys)
                    .where(audit_data_keys.c.user_id == user_id, audit_data_keys.c.wrapped_key.is_not(None))
                    .values(wrapped_key=key)
                )

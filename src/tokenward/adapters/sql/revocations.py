"""``DenyRecord`` on SQL: the durable record of revoked sessions and access tokens.

One row per revoked session or ``jti`` with the time it stops mattering. Writing an entry that exists keeps
the later end (an upsert: PostgreSQL ``GREATEST``, SQLite's two-argument ``max``), so concurrent revocations of
the same token never shorten each other. The table is small (entries live as long as an access token) and
the clean-up deletes what has ended (``delete_expired``, registered with ``CleanupService``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import revocations
from tokenward.domain.cleanup import CleanupPolicy
from tokenward.domain.sessions.durable_denylist import SESSION, TOKEN, DenyEntry


class SqlDenyRecord:
    #: the label of this store's count in the clean-up report
    name = "revocations"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, entry: DenyEntry) -> None:
        async with self._db.write() as conn:
            await conn.execute(self._upsert(entry))

    async def is_denied(self, session_id: str, jti: str, now: datetime) -> bool:
        statement = (
            select(revocations.c.kind)
            .where(
                or_(
                    and_(revocations.c.kind == SESSION, revocations.c.revoked_id == session_id),
                    and_(revocations.c.kind == TOKEN, revocations.c.revoked_id == jti),
                ),
                revocations.c.expires_at > now,
            )
            .limit(1)
        )
        async with self._db.read() as conn:
            return (await conn.execute(statement)).first() is not None

    async def in_force(self, now: datetime) -> list[DenyEntry]:
        statement = select(revocations).where(revocations.c.expires_at > now)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [DenyEntry(kind=row.kind, key=row.revoked_id, until=row.expires_at) for row in rows]

    async def delete_expired(self, now: datetime, policy: CleanupPolicy) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(delete(revocations).where(revocations.c.expires_at <= now))
        return int(result.rowcount)

    def _upsert(self, entry: DenyEntry) -> Any:
        values = {"kind": entry.kind, "revoked_id": entry.key, "expires_at": entry.until}
        if self._db.is_postgresql:
            pg_insert = postgresql.insert(revocations).values(values)
            return pg_insert.on_conflict_do_update(
                index_elements=[revocations.c.kind, revocations.c.revoked_id],
                set_={"expires_at": func.greatest(revocations.c.expires_at, pg_insert.excluded.expires_at)},
            )
        lite_insert = sqlite.insert(revocations).values(values)
        return lite_insert.on_conflict_do_update(
            index_elements=[revocations.c.kind, revocations.c.revoked_id],
            set_={"expires_at": func.max(revocations.c.expires_at, lite_insert.excluded.expires_at)},
        )

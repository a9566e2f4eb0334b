"""``LeaseRepository`` on SQL: one row per lease, taken by a single conditional upsert.

``INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE the lease expired or is already ours RETURNING holder``
works the same on SQLite and PostgreSQL: the database lets exactly one of several concurrent callers win
(PostgreSQL re-checks the WHERE after the competing transaction commits; SQLite's ``BEGIN IMMEDIATE`` runs them
one after the other). A row comes back only for the winner.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import leases


class SqlLeaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        dialect_insert = postgresql.insert if self._db.is_postgresql else sqlite.insert
        upsert = dialect_insert(leases).values(name=name, holder=holder, expires_at=until)
        statement = upsert.on_conflict_do_update(
            index_elements=[leases.c.name],
            set_={"holder": holder, "expires_at": until},
            where=(leases.c.expires_at <= now) | (leases.c.holder == holder),
        ).returning(leases.c.holder)
        async with self._db.write() as conn:
            won = (await conn.execute(statement)).one_or_none()
        return won is not None

    async def release(self, name: str, holder: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))

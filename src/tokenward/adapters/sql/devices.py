"""``KnownDeviceRepository`` on SQL: the (user, device fingerprint) pairs that have signed in before.

A sign-in from a known device, the common case, costs one UPDATE. A new pair is inserted with ``ON CONFLICT
DO NOTHING``, so a concurrent sign-in from the same new device that inserted it first makes this one a known
device without an error, which inside a unit of work would have aborted the whole transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import known_devices
from tokenward.domain.email.model import Sighting

#: built once: a sign-in from a known device, the common case
_SEEN_AGAIN = (
    update(known_devices)
    .where(known_devices.c.user_id == bindparam("user"), known_devices.c.fingerprint == bindparam("device"))
    .values(last_seen_at=bindparam("now"))
)


class SqlKnownDeviceRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, user_id: str, fingerprint: str, now: datetime) -> Sighting:
        dialect_insert = postgresql.insert if self._db.is_postgresql else sqlite.insert
        async with self._db.write() as conn:
            seen = await conn.execute(_SEEN_AGAIN, {"user": user_id, "device": fingerprint, "now": now})
            if seen.rowcount == 1:
                return Sighting.KNOWN
            inserted = await conn.execute(
                dialect_insert(known_devices)
                .values(user_id=user_id, fingerprint=fingerprint, first_seen_at=now, last_seen_at=now)
                .on_conflict_do_nothing(index_elements=["user_id", "fingerprint"])
            )
            if inserted.rowcount != 1:
                return Sighting.KNOWN
            devices = await conn.scalar(
                select(func.count()).select_from(
                    select(known_devices.c.fingerprint)
                    .where(known_devices.c.user_id == user_id)
                    .limit(2)
                    .subquery()
                )
            )
        return Sighting.FIRST if devices == 1 else Sighting.NEW

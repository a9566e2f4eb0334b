"""``KnownDeviceRepository`` on SQL: the (user, device fingerprint) pairs that have signed in before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import known_devices


class SqlKnownDeviceRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def has_any(self, user_id: str) -> bool:
        async with self._db.read() as conn:
            found = await conn.scalar(select(exists().where(known_devices.c.user_id == user_id)))
        return bool(found)

    async def remember(self, user_id: str, fingerprint: str, now: datetime) -> bool:
        try:
            async with self._db.write() as conn:
                seen = await conn.execute(
                    update(known_devices)
                    .where(known_devices.c.user_id == user_id, known_devices.c.fingerprint == fingerprint)
                    .values(last_seen_at=now)
                )
                if seen.rowcount == 1:
                    return False
                await conn.execute(
                    insert(known_devices).values(
                        user_id=user_id, fingerprint=fingerprint, first_seen_at=now, last_seen_at=now
                    )
                )
        except IntegrityError:
            # a concurrent sign-in from the same new device inserted it first: it is known now
            return False
        return True

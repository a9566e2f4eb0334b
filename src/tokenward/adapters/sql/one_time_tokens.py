"""``OneTimeTokenRepository`` on SQL: e-mailed single-use tokens, used by one conditional UPDATE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import one_time_tokens
from tokenward.domain.email.model import OneTimeTokenRecord


class SqlOneTimeTokenRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, record: OneTimeTokenRecord) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(one_time_tokens).values(
                    token_hash=record.token_hash,
                    purpose=record.purpose,
                    user_id=record.user_id,
                    session_id=record.session_id,
                    email=record.email,
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                    used_at=record.used_at,
                )
            )

    async def consume(self, token_hash: str, purpose: str, now: datetime) -> OneTimeTokenRecord | None:
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    update(one_time_tokens)
                    .where(
                        one_time_tokens.c.token_hash == token_hash,
                        one_time_tokens.c.purpose == purpose,
                        one_time_tokens.c.used_at.is_(None),
                        one_time_tokens.c.expires_at > now,
                    )
                    .values(used_at=now)
                    .returning(*one_time_tokens.c)
                )
            ).one_or_none()
        return None if row is None else _record(row)

    async def find(self, token_hash: str, purpose: str, now: datetime) -> OneTimeTokenRecord | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(one_time_tokens).where(
                        one_time_tokens.c.token_hash == token_hash,
                        one_time_tokens.c.purpose == purpose,
                        one_time_tokens.c.used_at.is_(None),
                        one_time_tokens.c.expires_at > now,
                    )
                )
            ).one_or_none()
        return None if row is None else _record(row)

    async def delete_expired(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(delete(one_time_tokens).where(one_time_tokens.c.expires_at < before))
        return int(result.rowcount)

    async def discard_for_user(self, user_id: str, purpose: str, now: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(one_time_tokens)
                .where(
                    one_time_tokens.c.user_id == user_id,
                    one_time_tokens.c.purpose == purpose,
                    one_time_tokens.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
        return int(result.rowcount)


def _record(row: Row[Any]) -> OneTimeTokenRecord:
    return OneTimeTokenRecord(
        token_hash=row.token_hash,
        purpose=row.purpose,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        session_id=row.session_id,
        email=row.email,
        used_at=row.used_at,
    )

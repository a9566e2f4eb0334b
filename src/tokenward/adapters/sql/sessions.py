"""``SessionRepository`` on SQL: sessions and their refresh-token families.

Rotation is the one operation where a race is an attack (threat T-REF-02): two requests carrying the same
refresh token must not both get a successor, or the family forks and a stolen copy lives on. It is decided by
one conditional UPDATE: the database lets exactly one transaction change the row from "current" to
"rotated" (PostgreSQL: the row lock makes the others re-check the condition after the winner commits and
find it false; SQLite: ``BEGIN IMMEDIATE`` runs the writers one after the other). Only that winner inserts
the successor.

A rotation whose commit fails half-way (the connection breaks after ``COMMIT`` was sent) may have been
committed although the request is answered 503 and its successor token thrown away. The client then retries
with the old token, which would look rotated: refused inside the reuse grace window and, after it, taken for
theft (the whole session revoked). So such a rotation is remembered and undone before this repository reads a
refresh token again: if the successor exists and was never used, it is deleted and the old token is current
again, exactly as if the rotation had failed. Nobody ever received that successor, so nothing is lost.

Lock order on PostgreSQL: every transaction that changes both locks the session row before any of its
refresh-token rows (rotation locks it explicitly first). Otherwise a refresh racing a logout could each hold
the row the other needs, and PostgreSQL would abort one of them as a deadlock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenward.adapters.sql.database import CommitUncertain, Database
from tokenward.adapters.sql.rotation import rotate_on_postgres, rotate_on_sqlite, token_values
from tokenward.adapters.sql.tables import refresh_tokens, sessions
from tokenward.domain.sessions.model import RefreshTokenRecord, Rotation, RotationTerms, Session


class _RotationLost(Exception):
    """The old token was already rotated or revoked: roll the transaction back."""


@dataclass(frozen=True, slots=True)
class _UnansweredRotation:
    """A rotation that may have committed although its request got an error (see the module docstring)."""

    session_id: str
    old_hash: str
    successor_hash: str


_INSERT_SESSION = insert(sessions)
_INSERT_TOKEN = insert(refresh_tokens)


class SqlSessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._unanswered: list[_UnansweredRotation] = []
        self._undoing = asyncio.Lock()

    async def create(self, session: Session, first_token: RefreshTokenRecord) -> None:
        async with self._db.write() as conn:
            # built once, the values given at execution: SQLAlchemy coerces no values and computes no cache key
            await conn.execute(_INSERT_SESSION, _session_values(session))
            await conn.execute(_INSERT_TOKEN, token_values(first_token))

    async def get(self, session_id: str) -> Session | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).one_or_none()
        return None if row is None else _session(row)

    async def find_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None:
        await self._undo_unanswered_rotations()
        async with self._db.read() as conn:
            statement = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
            row = (await conn.execute(statement)).one_or_none()
        return None if row is None else _token(row)

    async def find_refresh_token_and_session(
        self, token_hash: str
    ) -> tuple[RefreshTokenRecord, Session] | None:
        await self._undo_unanswered_rotations()
        async with self._db.read() as conn:
            statement = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
            token_row = (await conn.execute(statement)).one_or_none()
            if token_row is None:
                return None
            session_row = (
                await conn.execute(select(sessions).where(sessions.c.id == token_row.session_id))
            ).one_or_none()
        return None if session_row is None else (_token(token_row), _session(session_row))

    async def rotate(self, old_hash: str, successor: RefreshTokenRecord, now: datetime) -> bool:
        try:
            async with self._db.write() as conn:
                await _lock_session(conn, successor.session_id)
                claimed = await conn.execute(
                    update(refresh_tokens)
                    .where(
                        refresh_tokens.c.token_hash == old_hash,
                        refresh_tokens.c.rotated_at.is_(None),
                        refresh_tokens.c.revoked_at.is_(None),
                    )
                    .values(rotated_at=now)
                )
                if claimed.rowcount != 1:
                    raise _RotationLost
                await conn.execute(insert(refresh_tokens).values(token_values(successor)))
                await _touch(conn, successor.session_id, now)
        except _RotationLost:
            return False
        except CommitUncertain:
            self._unanswered.append(_UnansweredRotation(successor.session_id, old_hash, successor.token_hash))
            raise
        return True

    @asynccontextmanager
    async def rotate_current(
        self, old_hash: str, successor_hash: str, terms: RotationTerms
    ) -> AsyncIterator[Rotation | None]:
        """One transaction; on PostgreSQL one statement too (``adapters/sql/rotation.py``). A rotation whose
        commit went unanswered is remembered and undone like one of ``rotate`` (module docstring)."""
        await self._undo_unanswered_rotations()
        rotated: Rotation | None = None
        # on PostgreSQL the raw asyncpg transaction (``Database.raw_write``)
        postgres = self._db.is_postgresql
        transaction: Any = self._db.raw_write() if postgres else self._db.write()
        rotate: Any = rotate_on_postgres if postgres else rotate_on_sqlite
        try:
            async with transaction as conn:
                found = await rotate(conn, old_hash, successor_hash, terms)
                if found is None:
                    yield None
                    raise _RotationLost  # undo a lost race's touch of the session
                row, successor_expires_at = found
                session = session_from(row)
                rotated = Rotation(
                    session=session,
                    successor=RefreshTokenRecord(
                        token_hash=successor_hash,
                        session_id=session.id,
                        family_id=session.family_id,
                        user_id=session.user_id,
                        created_at=terms.now,
                        expires_at=successor_expires_at,
                    ),
                )
                yield rotated
        except _RotationLost:
            return
        except CommitUncertain:
            if rotated is not None:
                self._unanswered.append(_UnansweredRotation(rotated.session.id, old_hash, successor_hash))
            raise

    async def _undo_unanswered_rotations(self) -> None:
        """Undo every remembered rotation that did commit: its successor, never handed out and never used,
        goes, and the old token is current again."""
        if not self._unanswered:
            return
        async with self._undoing:
            while self._unanswered:
                await self._undo(self._unanswered[0])
                self._unanswered.pop(0)

    async def _undo(self, rotation: _UnansweredRotation) -> None:
        async with self._db.write() as conn:
            await _lock_session(conn, rotation.session_id)
            removed = await conn.execute(
                delete(refresh_tokens).where(
                    refresh_tokens.c.token_hash == rotation.successor_hash,
                    refresh_tokens.c.rotated_at.is_(None),
                    refresh_tokens.c.revoked_at.is_(None),
                )
            )
            if removed.rowcount == 1:
                await conn.execute(
                    update(refresh_tokens)
                    .where(refresh_tokens.c.token_hash == rotation.old_hash)
                    .values(rotated_at=None)
                )

    async def touch(self, session_id: str, now: datetime) -> None:
        async with self._db.write() as conn:
            await _touch(conn, session_id, now)

    async def revoke(self, session_id: str, now: datetime, reason: str) -> bool:
        async with self._db.write() as conn:
            revoked = await _revoke_sessions(conn, [sessions.c.id == session_id], now, reason)
        return bool(revoked)

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, reason: str, *, except_session_id: str | None = None
    ) -> list[str]:
        conditions: list[Any] = [sessions.c.user_id == user_id]
        if except_session_id is not None:
            conditions.append(sessions.c.id != except_session_id)
        async with self._db.write() as conn:
            return await _revoke_sessions(conn, conditions, now, reason)

    async def list_for_user(self, user_id: str, *, active_only: bool = True) -> list[Session]:
        statement = select(sessions).where(sessions.c.user_id == user_id)
        if active_only:
            statement = statement.where(sessions.c.revoked_at.is_(None))
        statement = statement.order_by(sessions.c.created_at.desc(), sessions.c.id)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_session(row) for row in rows]

    async def delete_ended(self, *, now: datetime, idle_before: datetime, revoked_before: datetime) -> int:
        ended = or_(
            sessions.c.expires_at <= now,
            sessions.c.last_used_at < idle_before,
            sessions.c.revoked_at < revoked_before,
        )
        async with self._db.write() as conn:
            # refresh tokens first: not every SQLite connection may have foreign keys (and their cascade) on
            doomed = select(sessions.c.id).where(ended).scalar_subquery()
            await conn.execute(delete(refresh_tokens).where(refresh_tokens.c.session_id.in_(doomed)))
            result = await conn.execute(delete(sessions).where(ended))
        return int(result.rowcount)

    async def delete_expired_refresh_tokens(self, expired_before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(refresh_tokens).where(refresh_tokens.c.expires_at < expired_before)
            )
        return int(result.rowcount)

    async def set_amr_for_user(self, user_id: str, amr: tuple[str, ...]) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(sessions)
                .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
                .values(amr=list(amr))
            )
        return int(result.rowcount)


async def _lock_session(conn: AsyncConnection, session_id: str) -> None:
    """Row-lock the session (``FOR UPDATE``; SQLite has no row locks and already holds the write lock)."""
    await conn.execute(select(sessions.c.id).where(sessions.c.id == session_id).with_for_update())


async def _touch(conn: AsyncConnection, session_id: str, now: datetime) -> None:
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(last_used_at=now))


async def _revoke_sessions(
    conn: AsyncConnection, conditions: list[Any], now: datetime, reason: str
) -> list[str]:
    """Revoke the active sessions matching ``conditions`` and all their refresh tokens; return their ids.

    ``RETURNING`` reports exactly the rows this statement changed, so two concurrent revocations never
    both claim the same session (SQLite 3.35+ and PostgreSQL both support it).
    """
    result = await conn.execute(
        update(sessions)
        .where(*conditions, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(sessions.c.id)
    )
    revoked = sorted(result.scalars().all())
    if revoked:
        await conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.session_id.in_(revoked), refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return revoked


def _session_values(session: Session) -> Mapping[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "family_id": session.family_id,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "auth_time": session.auth_time,
        "amr": list(session.amr),
        "scope": session.scope,
        "ip": session.ip,
        "user_agent": session.user_agent,
        "revoked_at": session.revoked_at,
        "revoked_reason": session.revoked_reason,
        "client_id": session.client_id,
        "browser_session_id": session.browser_session_id,
    }


def _session(row: Row[Any]) -> Session:
    return session_from(row._mapping)


def session_from(row: Mapping[Any, Any]) -> Session:
    """A session from its row's columns: a SQLAlchemy row's mapping or an asyncpg record (whose datetimes
    asyncpg gives back aware, in UTC, as ``UTCDateTime`` does)."""
    return Session(
        id=row["id"],
        user_id=row["user_id"],
        family_id=row["family_id"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
        auth_time=row["auth_time"],
        amr=tuple(row["amr"]),
        scope=row["scope"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
        client_id=row["client_id"],
        browser_session_id=row["browser_session_id"],
    )


def _token(row: Row[Any]) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        token_hash=row.token_hash,
        session_id=row.session_id,
        family_id=row.family_id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
    )

"""The refresh hot path on SQL: check and rotate a refresh token in one transaction (``rotate_current``).

Every rule that decides whether a token may be rotated (current, session active and inside its idle and
absolute lifetime, user enabled) is a condition of the first UPDATE, so a token that fails any of them changes
nothing and the domain reads the rows to say why. The statements are built once, with bound parameters, and
compiled once per dialect by SQLAlchemy's cache.

PostgreSQL runs it as one statement (one round trip): a CTE that touches the session (taking its row lock
first, the lock order of ``sessions.py``), marks the old token rotated if it is still current, inserts the
successor, and returns the session. Two concurrent callers with the same token queue on the session's row
lock; the second then re-checks the old token in its own UPDATE, finds it rotated and inserts nothing, and its
touch of the session is rolled back. SQLite cannot modify data in a CTE, so it runs the same three steps as
three statements inside its ``BEGIN IMMEDIATE`` transaction, which already excludes every other writer.

On PostgreSQL the statement goes straight to asyncpg (``Database.raw_write``, ``RawStatement``): compiled by
SQLAlchemy once at import, prepared once per connection by asyncpg's statement cache, its row read as a
mapping. ``rotate_with_sqlalchemy`` is the same statement through SQLAlchemy's layers; the contract tests
hold the two to the same rows (``tests/contract/test_raw_rotation.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import bindparam, case, insert, literal_column, not_, select, true, update
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenward.adapters.sql.columns import UTCDateTime
from tokenward.adapters.sql.tables import refresh_tokens, sessions, users
from tokenward.domain.sessions.model import RefreshTokenRecord, RotationTerms

_NOW = bindparam("now", type_=UTCDateTime)

_TOUCH_IF_ROTATABLE = (
    update(sessions)
    .where(
        refresh_tokens.c.token_hash == bindparam("old_hash"),
        sessions.c.id == refresh_tokens.c.session_id,
        users.c.id == sessions.c.user_id,
        refresh_tokens.c.rotated_at.is_(None),
        refresh_tokens.c.revoked_at.is_(None),
        refresh_tokens.c.expires_at > _NOW,
        sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > _NOW,
        sessions.c.last_used_at > bindparam("idle_before", type_=UTCDateTime),
        not_(users.c.disabled),
    )
    .values(last_used_at=_NOW)
    .returning(*sessions.c)
)

_MARK_ROTATED = (
    update(refresh_tokens)
    .where(
        refresh_tokens.c.token_hash == bindparam("old_hash"),
        refresh_tokens.c.rotated_at.is_(None),
        refresh_tokens.c.revoked_at.is_(None),
    )
    .values(rotated_at=_NOW)
)


def _postgres_statement() -> Any:
    touched = _TOUCH_IF_ROTATABLE.cte("touched")
    marked = (
        _MARK_ROTATED.where(refresh_tokens.c.session_id == touched.c.id)
        .returning(refresh_tokens.c.token_hash)
        .cte("marked")
    )
    idle_end = bindparam("idle_end", type_=UTCDateTime)
    successor_expiry = case((touched.c.expires_at < idle_end, touched.c.expires_at), else_=idle_end)
    successor = (
        insert(refresh_tokens)
        .from_select(
            ["token_hash", "session_id", "family_id", "user_id", "created_at", "expires_at"],
            select(
                bindparam("successor_hash"),
                touched.c.id,
                touched.c.family_id,
                touched.c.user_id,
                _NOW,
                successor_expiry,
            ).select_from(touched.join(marked, true())),
        )
        .returning(refresh_tokens.c.expires_at.label("successor_expires_at"))
        .cte("successor")
    )
    session_columns = [touched.c[column.name] for column in sessions.c]
    return select(*session_columns, successor.c.successor_expires_at).select_from(
        touched.join(successor, literal_column("true"))
    )


_ROTATE_ON_POSTGRES = _postgres_statement()


class RawStatement:
    """A SQLAlchemy statement compiled once for asyncpg: its SQL (``$1``, ``$2``...) and which named parameter
    goes in each position. Values go in as asyncpg takes them: datetimes must be aware (as ``UTCDateTime``
    insists) and are sent in UTC."""

    def __init__(self, statement: Any) -> None:
        compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        return [
            _utc(parameters[name]) if isinstance(parameters[name], datetime) else parameters[name]
            for name in self.names
        ]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime given to the database; the domain uses aware UTC datetimes")
    return value.astimezone(UTC)


_RAW_ROTATE_ON_POSTGRES = RawStatement(_ROTATE_ON_POSTGRES)


def _parameters(old_hash: str, successor_hash: str, terms: RotationTerms) -> dict[str, Any]:
    return {
        "old_hash": old_hash,
        "successor_hash": successor_hash,
        "now": terms.now,
        "idle_before": terms.idle_before,
        "idle_end": terms.idle_end,
    }


async def rotate_on_postgres(
    conn: asyncpg.Connection, old_hash: str, successor_hash: str, terms: RotationTerms
) -> tuple[Mapping[Any, Any], datetime] | None:
    """The session row as touched and the successor's expiry, or ``None`` if nothing was rotated."""
    statement = _RAW_ROTATE_ON_POSTGRES
    row = await conn.fetchrow(
        statement.sql, *statement.arguments(_parameters(old_hash, successor_hash, terms))
    )
    return None if row is None else (row, row["successor_expires_at"])


async def rotate_with_sqlalchemy(
    conn: AsyncConnection, old_hash: str, successor_hash: str, terms: RotationTerms
) -> tuple[Mapping[Any, Any], datetime] | None:
    """``rotate_on_postgres`` through SQLAlchemy's connection: the reference its raw run is held to."""
    params = _parameters(old_hash, successor_hash, terms)
    row = (await conn.execute(_ROTATE_ON_POSTGRES, params)).one_or_none()
    return None if row is None else (row._mapping, row.successor_expires_at)


async def rotate_on_sqlite(
    conn: AsyncConnection, old_hash: str, successor_hash: str, terms: RotationTerms
) -> tuple[Mapping[Any, Any], datetime] | None:
    """Same as ``rotate_on_postgres``, in three statements of the writer's transaction."""
    params = _parameters(old_hash, successor_hash, terms)
    row = (await conn.execute(_TOUCH_IF_ROTATABLE, params)).one_or_none()
    if row is None:
        return None
    marked = await conn.execute(_MARK_ROTATED, params)
    if marked.rowcount != 1:  # the write lock excludes other writers: cannot happen, but never fork
        return None
    expires_at = min(terms.idle_end, row.expires_at)
    successor = RefreshTokenRecord(
        token_hash=successor_hash,
        session_id=row.id,
        family_id=row.family_id,
        user_id=row.user_id,
        created_at=terms.now,
        expires_at=expires_at,
    )
    await conn.execute(insert(refresh_tokens).values(token_values(successor)))
    return row._mapping, expires_at


def token_values(token: RefreshTokenRecord) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "session_id": token.session_id,
        "family_id": token.family_id,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "rotated_at": token.rotated_at,
        "revoked_at": token.revoked_at,
    }

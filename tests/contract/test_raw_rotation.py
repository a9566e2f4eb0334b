"""The rotation statement sent straight to asyncpg (``Database.raw_write``) against the same statement through
SQLAlchemy (``rotate_with_sqlalchemy``), on PostgreSQL.

For each case (a current token; a token already rotated or revoked; an ended, expired or idle session, the
idle edge itself; a disabled user; a session ending before the successor's idle end; an unknown hash) both
run in a transaction that is then rolled back, from the same rows, and must return the same session columns
and successor expiry (or both nothing). ``test_refresh_equivalence.py`` holds the whole refresh on the raw
path to the previous implementation, stored rows included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.contract import records
from tests.contract.conftest import _opened
from tokenward.adapters.sql import Database, SqlSessionRepository, SqlUserRepository
from tokenward.adapters.sql.rotation import rotate_on_postgres, rotate_with_sqlalchemy
from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.model import RotationTerms

IDLE = timedelta(days=14)


class _RolledBack(Exception):
    """Ends a transaction after the rotation was read, so the next contender starts from the same rows."""


@pytest.fixture
async def postgres(postgres_contract_url: str) -> AsyncIterator[Database]:
    async with _opened(postgres_contract_url) as database:
        yield database


def _cases(now: Any) -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """name -> (user changes, session changes, token changes)."""
    day = timedelta(days=1)
    return {
        "current": ({}, {}, {}),
        "rotated": ({}, {}, {"rotated_at": now - day}),
        "revoked token": ({}, {}, {"revoked_at": now - day}),
        "token expired": ({}, {}, {"expires_at": now - day}),
        "session ended": ({}, {"revoked_at": now - day, "revoked_reason": "logout"}, {}),
        "session expired": ({}, {"expires_at": now}, {}),
        "idle too long": ({}, {"last_used_at": now - IDLE - day}, {}),
        "idle edge": ({}, {"last_used_at": now - IDLE}, {}),
        "disabled user": ({"disabled": True}, {}, {}),
        "session ends before the idle end": ({}, {"expires_at": now + day}, {}),
        "one method, no user agent": ({}, {"amr": ("pwd",), "user_agent": None, "ip": None}, {}),
    }


async def _read(
    contender: Callable[..., Any], postgres: Database, old_hash: str, terms: RotationTerms, raw: bool
) -> Any:
    found: Any = None
    transaction = postgres.raw_write() if raw else postgres.write()
    try:
        async with transaction as conn:
            result = await contender(conn, old_hash, "f" * 64, terms)
            found = None if result is None else (dict(result[0]), result[1])
            raise _RolledBack
    except _RolledBack:
        pass
    return found


async def test_raw_rotation_reads_exactly_what_the_sqlalchemy_statement_reads(
    postgres: Database, clock: FrozenClock
) -> None:
    users, sessions = SqlUserRepository(postgres), SqlSessionRepository(postgres)
    clock.advance(3600)
    now = clock.now()
    terms = RotationTerms(now=now, idle_before=now - IDLE, idle_end=now + IDLE)
    rotated = []
    for name, (user_changes, session_changes, token_changes) in _cases(now).items():
        user = records.user(now - timedelta(days=2), **user_changes)
        await users.add(user)
        session = records.session(user.id, now - timedelta(days=2), **session_changes)
        token = records.refresh_token(session, now - timedelta(days=2), **token_changes)
        await sessions.create(session, token)
        reference = await _read(rotate_with_sqlalchemy, postgres, token.token_hash, terms, raw=False)
        raw = await _read(rotate_on_postgres, postgres, token.token_hash, terms, raw=True)
        assert raw == reference, name
        if reference is not None:
            rotated.append(name)
            assert raw[0]["last_used_at"] == now
    assert await _read(rotate_on_postgres, postgres, records.token_hash(), terms, raw=True) is None
    # the cases reached both outcomes
    assert set(rotated) == {"current", "session ends before the idle end", "one method, no user agent"}

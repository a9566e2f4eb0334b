"""The ``Database`` itself: URLs, readiness, SQLite's per-connection settings and write concurrency."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.audit_support import sql_audit_log
from tests.contract import records
from tokenward.adapters.sql import Database, SqlSessionRepository, async_url
from tokenward.domain.clock import FrozenClock
from tokenward.errors import AccountGone, ConfigurationError


async def test_ping(db: Database) -> None:
    await db.ping()


async def test_foreign_keys_are_enforced(db: Database, clock: FrozenClock) -> None:
    orphan = records.session("no-such-user", clock.now())

    # the caller learns the account is gone, as a sign-in racing the account's erasure does
    with pytest.raises(AccountGone):
        await SqlSessionRepository(db).create(orphan, records.refresh_token(orphan, clock.now()))


async def test_many_concurrent_writers_all_succeed(db: Database, clock: FrozenClock) -> None:
    """No "database is locked" on SQLite: writers queue for the write lock instead of failing."""
    audit = sql_audit_log(db, clock)

    await asyncio.gather(
        *(audit.record(records.audit_event(clock.now(), details={"n": n})) for n in range(50))
    )

    assert len(await audit.list_events(limit=100)) == 50


async def test_sqlite_connection_settings(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/deep/er/tokenward.db")
    try:
        async with db.read() as conn:
            settings = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
    finally:
        await db.dispose()

    assert (tmp_path / "deep" / "er" / "tokenward.db").is_file()
    # synchronous=NORMAL is 1
    assert settings == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1, "synchronous": 1}


def test_url_shorthands_get_their_async_driver() -> None:
    assert async_url("sqlite:///data/t.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u@h/d").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u@h/d").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+asyncpg://u@h/d").drivername == "postgresql+asyncpg"


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "mysql://u@h/d"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        async_url(url)


async def test_sqlite_writers_of_one_process_queue_in_order_even_with_a_short_busy_timeout(
    tmp_path: Path,
) -> None:
    """32 concurrent writers that each hold the write lock a while: with SQLite's busy handler alone some
    would wait past ``busy_timeout`` and fail with "database is locked"; the in-process queue serves them all."""
    from tokenward.adapters.sql import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}"
    await migrate(url)
    db = Database(url, sqlite_busy_timeout_ms=50)

    async def slow_write(n: int) -> None:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS queue_probe (n INTEGER)"))
            await conn.execute(text("INSERT INTO queue_probe (n) VALUES (:n)"), {"n": n})
            await asyncio.sleep(0.01)  # holds the write lock, as a rotation holding a row lock would

    try:
        await asyncio.gather(*(slow_write(n) for n in range(32)))
        async with db.read() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM queue_probe"))).scalar_one()
    finally:
        await db.dispose()
    assert count == 32

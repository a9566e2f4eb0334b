"""Throw-away PostgreSQL databases for tests.

Each test run (or test that needs a pristine schema) gets its own database, created through the server's
``postgres`` maintenance database, so runs in parallel never see each other's rows and the shared ``test``
database is never migrated or truncated under someone else's feet.
"""

from __future__ import annotations

import secrets

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


def _maintenance_url(url: URL) -> URL:
    return url.set(drivername="postgresql+asyncpg", database="postgres")


async def create_fresh_postgres_database(base_url: str) -> str:
    """Create an empty database ``tw_test_<random hex>`` on the server of ``base_url``; return its URL."""
    base = make_url(base_url)
    name = f"tw_test_{secrets.token_hex(6)}"
    await _run_autocommit(base, f'CREATE DATABASE "{name}"')
    return base.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop a database made by ``create_fresh_postgres_database``, even if connections are still open."""
    parsed = make_url(url)
    name = parsed.database or ""
    if not name.startswith("tw_test_"):
        raise ValueError(f"refusing to drop {name!r}: not a database created by the tests")
    await _run_autocommit(parsed, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _run_autocommit(url: URL, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block
    engine = create_async_engine(_maintenance_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()

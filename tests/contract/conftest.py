"""One repository contract suite, run against every SQL backend (the Kratos ``persistence`` pattern).

Each test receives a ``Database`` for one backend: SQLite (a copy of a file migrated once per session) or
PostgreSQL (a throw-away database created and migrated once per session, emptied before each test). The
PostgreSQL parameter depends on the ``postgres_url`` fixture, so it is skipped without the server and fails
under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tokenward.adapters.sql import Database, migrate

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: every table, emptied between tests; TRUNCATE is not stopped by the audit trail's row-level trigger
_TRUNCATE = (
    "TRUNCATE users, sessions, refresh_tokens, signing_keys, audit_events, audit_chain_head, audit_personal, "
    "audit_data_keys RESTART IDENTITY CASCADE"
)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test works on its own copy (cheaper than migrating again)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "tokenward.db"
    asyncio.run(migrate(sqlite_url(path)))
    return path


@pytest.fixture(scope="session")
def postgres_contract_url(postgres_url: str) -> Iterator[str]:
    """A migrated throw-away PostgreSQL database shared by the session's contract tests."""
    url = asyncio.run(create_fresh_postgres_database(postgres_url))
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(drop_postgres_database(url))


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a migrated database holding no rows (sync, so it may call ``asyncio.run`` while setting up)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tokenward.db"
        shutil.copyfile(template, path)
        return sqlite_url(path)
    url: str = request.getfixturevalue("postgres_contract_url")
    return url


@pytest.fixture
async def db(backend_url: str) -> AsyncIterator[Database]:
    # pool of 10 (+15 overflow) so concurrent tests really hold many PostgreSQL connections at once
    database = Database(backend_url, pool_size=10, max_overflow=15)
    if database.is_postgresql:
        async with database.write() as conn:
            await conn.execute(text(_TRUNCATE))
    yield database
    await database.dispose()


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """URL of a database that has never been migrated (for the migration tests)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "empty" / "tokenward.db")
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    url = await create_fresh_postgres_database(postgres_url)
    try:
        yield url
    finally:
        await drop_postgres_database(url)

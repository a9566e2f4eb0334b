"""Migrations: shipped in the package, idempotent, reversible, safe to start concurrently, and in step with
``tables.py``."""

from __future__ import annotations

import asyncio
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from tokenward.adapters.sql import Database, current_revision, downgrade, head_revision, migrate
from tokenward.adapters.sql.migrate import MIGRATIONS_DIR
from tokenward.adapters.sql.tables import ALL_TABLES, metadata

TABLES = {table.name for table in ALL_TABLES}


async def _table_names(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.read() as conn:
            names: list[str] = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        return set(names) - {"alembic_version"}
    finally:
        await db.dispose()


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert any(MIGRATIONS_DIR.glob("versions/*.py"))
    assert head_revision() is not None


async def test_upgrade_from_empty_twice(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None

    await migrate(empty_database_url)
    await migrate(empty_database_url)

    assert await current_revision(empty_database_url) == head_revision()
    assert await _table_names(empty_database_url) == TABLES


async def test_downgrade_to_base_then_upgrade(empty_database_url: str) -> None:
    await migrate(empty_database_url)

    await downgrade(empty_database_url, "base")
    assert await current_revision(empty_database_url) is None
    assert await _table_names(empty_database_url) == set()

    await migrate(empty_database_url)
    assert await current_revision(empty_database_url) == head_revision()
    assert await _table_names(empty_database_url) == TABLES


async def test_concurrent_migrations_in_one_process_do_not_collide(empty_database_url: str) -> None:
    await asyncio.gather(*(migrate(empty_database_url) for _ in range(4)))

    assert await current_revision(empty_database_url) == head_revision()


async def test_processes_starting_at_once_migrate_once(empty_database_url: str) -> None:
    """N replicas starting together: the advisory lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) orders them."""
    script = "import sys; from tokenward.adapters.sql import migrate_sync; migrate_sync(sys.argv[1])"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, empty_database_url, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = [await process.communicate() for process in processes]

    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr.decode()
    assert await current_revision(empty_database_url) == head_revision()
    assert await _table_names(empty_database_url) == TABLES


async def test_migrated_schema_matches_the_tables_module(empty_database_url: str) -> None:
    await migrate(empty_database_url)

    def differences(sync: Connection) -> list[object]:
        context = MigrationContext.configure(sync, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    db = Database(empty_database_url)
    try:
        async with db.read() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await db.dispose()
    assert diff == []

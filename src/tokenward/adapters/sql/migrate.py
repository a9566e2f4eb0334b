"""Schema migrations driven from code: ``tokenward migrate`` and start-up call these, no alembic.ini needed.

Several processes may start at once against one PostgreSQL database (a rolling deploy, N replicas). Each
takes the same ``pg_advisory_lock`` around the upgrade, so exactly one runs the migrations and the others,
once they get the lock, find the schema at head and do nothing. On SQLite the upgrade runs in one
``BEGIN IMMEDIATE`` transaction (see ``database``), which serialises concurrent migrators the same way.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenward.adapters.sql.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: an arbitrary constant shared by every Tokenward process: "the migration lock" (fits a signed bigint)
ADVISORY_LOCK_KEY = int.from_bytes(b"tokenwrd", "big")

#: a synchronous Alembic call run on a connection
_Operation = Callable[[Connection, str], None]


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations inside the installed package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    """The revision this version of Tokenward expects (for ``tokenward doctor``)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this version's migrations (else a newer version wrote the schema)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # Alembic raises its own error types for an unknown or malformed revision
        return False


async def migrate(url: str | URL) -> None:
    """Upgrade the database at ``url`` to the newest schema; a no-op when it is already there."""
    await _run(url, _upgrade, "head")


async def downgrade(url: str | URL, revision: str = "base") -> None:
    """Downgrade to ``revision`` (``base`` drops everything Tokenward created, audit trail included)."""
    await _run(url, _downgrade, revision)


async def current_revision(url: str | URL) -> str | None:
    """The revision the database is at, ``None`` for an empty (never migrated) database."""
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        async with db.read() as conn:
            return await conn.run_sync(_current)
    finally:
        await db.dispose()


def migrate_sync(url: str | URL) -> None:
    """``migrate`` for synchronous callers (the CLI), which have no running event loop."""
    asyncio.run(migrate(url))


#: one lock per event loop; see ``_run``
_IN_PROCESS_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _in_process_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _IN_PROCESS_LOCKS.get(loop)
    if lock is None:
        lock = _IN_PROCESS_LOCKS[loop] = asyncio.Lock()
    return lock


async def _run(url: str | URL, operation: _Operation, revision: str) -> None:
    # Alembic keeps its running context in module globals (``alembic.context``, ``alembic.op``), so two
    # migrations interleaved in one process would trample each other; the database locks only order
    # separate processes
    async with _in_process_lock():
        await _run_locked(url, operation, revision)


#: migrators starting together on SQLite queue on the write lock; one migration can take seconds on a busy
#: machine, so they wait much longer than a request would
MIGRATION_BUSY_TIMEOUT_MS = 120_000


async def _run_locked(url: str | URL, operation: _Operation, revision: str) -> None:
    db = Database(url, pool_size=1, max_overflow=0, sqlite_busy_timeout_ms=MIGRATION_BUSY_TIMEOUT_MS)
    try:
        async with db.engine.connect() as conn:
            if db.is_postgresql:
                await _with_advisory_lock(conn, operation, revision)
            else:
                await conn.run_sync(operation, revision)
    finally:
        await db.dispose()


async def _with_advisory_lock(conn: AsyncConnection, operation: _Operation, revision: str) -> None:
    # a session-level lock: it survives the commits Alembic makes and is released explicitly below (or by
    # the server when the connection dies, so a crashed migrator cannot wedge the others)
    await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    await conn.commit()
    try:
        await conn.run_sync(operation, revision)
    finally:
        await conn.rollback()
        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        await conn.commit()


def _config_for(connection: Connection) -> Config:
    config = alembic_config()
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(_config_for(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(_config_for(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()

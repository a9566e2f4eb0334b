"""The connection to the SQL database: one engine per process, shared by every repository.

SQLite (the embedded default) and PostgreSQL need different care:

* SQLite: each connection gets ``journal_mode=WAL`` (readers never block the writer), ``busy_timeout=5000``
  (wait for the write lock instead of failing at once), ``foreign_keys=ON`` (SQLite's default is OFF) and
  ``synchronous=NORMAL`` (safe with WAL, much faster than FULL).
  Writes begin with ``BEGIN IMMEDIATE``: the write lock is taken at the start of the transaction, so a
  writer waits (bounded by ``busy_timeout``) at BEGIN instead of starting as a reader and failing with
  "database is locked" when it later tries to upgrade to a writer, a failure SQLite cannot resolve by
  waiting. The lock lives in the database file, so this also serialises writers in *other processes*
  (``tokenward keys rotate`` while the server runs, several uvicorn workers), which an ``asyncio.Lock``
  inside one process could not. Read-only work (``Database.read``) uses a plain deferred ``BEGIN`` and runs
  in parallel with the writer thanks to WAL.
* PostgreSQL: a bounded pool of 20 connections, kept once opened (with SQLAlchemy's default of 10 plus 10
  overflow, a busy server closed an overflow connection after nearly every request and opened another).
  A pooled connection that the server or a failover closed is replaced at checkout instead of failing a
  request: asyncpg learns of the closed socket as soon as it arrives, so the check costs no round trip
  (``pool_pre_ping`` cost three per transaction: BEGIN, a ping, ROLLBACK, which was most of a refresh's
  time). A connection that died silently (no FIN, e.g. a network path cut) fails its first statement: on the
  refresh path (``raw_write``) that is the BEGIN, and the transaction begins again once on a new connection;
  elsewhere the request answers 503 like any outage and the pool drops that connection. Atomic conditional
  UPDATEs and row locks do the serialising.
  Several hosts may be named (``postgresql://u@db1:5432,db2:5432/tokenward?target_session_attrs=read-write``):
  asyncpg tries them in turn and keeps the one that accepts writes, so a failover needs no restart.

Outages: every transaction runs inside ``dependencies.answering``, so a refused or broken connection, a
connect or statement time-out or a server shutting down reaches the caller as ``DependencyUnavailable``
(503 with ``Retry-After``) and is reported once to the health tracker. The time-outs bound how long a request
can hang on a database that stopped answering: ``connect_timeout`` for opening a connection (and for waiting
for a free one in the pool), ``statement_timeout`` for each statement, measured by the client so that it
also ends a stalled network path, which a server-side ``statement_timeout`` would not see.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import greenlet_spawn

from tokenward.adapters.dependencies import DATABASE, answering, database_unavailable
from tokenward.adapters.health import DependencyHealth
from tokenward.adapters.sql.unit_of_work import FinalStep, Item, UnitsOfWork
from tokenward.errors import AccountGone, ConfigurationError, DependencyUnavailable

#: execution option that marks a transaction as read-only, so SQLite may begin it deferred
_READ_ONLY = "tokenward_read_only"

#: how long a SQLite writer waits for the write lock before failing, for requests
SQLITE_BUSY_TIMEOUT_MS = 5000

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def _hosts_as_query(url: str) -> str:
    """``scheme://user@h1:5432,h2:5433/db?x=y`` -> ``scheme://user@/db?host=h1:5432&host=h2:5433&x=y``.

    libpq's multi-host form, which SQLAlchemy's URL parser refuses, spelled the way its asyncpg dialect reads.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return url
    path, question, query = tail.partition("?")
    host_params = "&".join(f"host={host}" for host in hosts.split(",") if host)
    query = f"{host_params}&{query}" if question and query else host_params
    return f"{scheme}://{userinfo}{at}{slash}{path}?{query}"


def async_url(url: str | URL) -> URL:
    """The URL with its async driver: ``sqlite:///x`` and ``postgresql://...`` are accepted as shorthands,
    and several PostgreSQL hosts may be given comma-separated."""
    parsed = make_url(_hosts_as_query(url) if isinstance(url, str) else url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ConfigurationError(
            [f"unsupported database URL scheme {parsed.drivername!r}; use sqlite+aiosqlite or postgresql"]
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # every pooled connection would get its own empty database; the memory adapters exist for that use
        raise ConfigurationError(["an in-memory SQLite database cannot be shared by a pool; use a file path"])
    return parsed


class CommitUncertain(DependencyUnavailable):
    """The connection failed while committing: the transaction may or may not have been committed.

    The caller answers 503 either way; a write whose effect must not outlive an unanswered request
    (refresh-token rotation) undoes it later, when it can tell (``SqlSessionRepository``).
    """

    def __init__(self) -> None:
        super().__init__("The database")


class Database:
    """Owns the async engine (and its pool) and hands out transactions to the repositories."""

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int = 20,
        max_overflow: int = 0,
        echo: bool = False,
        sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
        connect_timeout: float = 10.0,
        statement_timeout: float | None = None,
        health: DependencyHealth | None = None,
    ) -> None:
        self.url = async_url(url)
        self.dialect_name = self.url.get_backend_name()
        self._health = health
        options: dict[str, Any] = {
            "echo": echo,
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": connect_timeout,
        }
        if self.dialect_name == "sqlite":
            _create_parent_folder(self.url)
        else:
            options.update(pool_recycle=1800)
            options["connect_args"] = {"timeout": connect_timeout, "command_timeout": statement_timeout}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        #: SQLite allows one writer at a time; this process's writers wait here in order (see ``write``)
        self._writer_queue: AbstractAsyncContextManager[object] = (
            asyncio.Lock() if self.dialect_name == "sqlite" else nullcontext()
        )
        if self.dialect_name == "sqlite":
            _configure_sqlite(self.engine, sqlite_busy_timeout_ms)
        else:
            _replace_closed_connections(self.engine)
        self._units = UnitsOfWork()
        #: for callers that prefer ORM sessions; its transactions begin IMMEDIATE on SQLite (they may write)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect_name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect_name == "postgresql"

    @property
    def location(self) -> str:
        """Where the database is, for messages: ``host:port`` (each host of a multi-host URL) or the file."""
        if self.is_sqlite:
            return self.url.database or ""
        hosts = self.url.query.get("host")
        if hosts:
            return ",".join((hosts,) if isinstance(hosts, str) else hosts)
        return f"{self.url.host or 'localhost'}:{self.url.port or 5432}"

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """A unit of work (the domain's ``Transactions`` port): the ``write`` and ``read`` blocks this task
        opens inside it run in its one transaction, which commits when the block ends. Audit events recorded
        inside are linked into the chain last (``at_commit``), so the chain head, which every writer of the
        audit trail waits for, is locked only for the unit's final statements. Inside another unit it joins
        that one. ``raw_write`` does not join: the refresh path never runs inside a unit."""
        if self.in_unit_of_work():
            yield
            return
        async with self.write() as connection:
            with self._units.opened(connection) as unit:
                yield
                await unit.finish()

    def in_unit_of_work(self) -> bool:
        """Whether this task's statements run in an open unit of work, not yet committed."""
        return self._units.joinable() is not None

    def at_commit(self, step: FinalStep[Item], item: Item) -> bool:
        """Give ``item`` to ``step``, which runs once, with every item given to it, as the last statements of
        this task's open unit of work; ``False`` (nothing done) if there is none."""
        unit = self._units.joinable()
        if unit is None:
            return False
        unit.collect(step, item)
        return True

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write: committed on success, rolled back on any exception. Inside a unit of
        work (``atomic``) it is that unit's transaction.

        A connection failure while committing raises ``CommitUncertain`` (a ``DependencyUnavailable``): the
        commit may have happened.

        On SQLite, writers of this process queue on an ``asyncio.Lock`` first (first come, first served) and
        only then take the file's write lock: otherwise dozens of concurrent writers poll the file lock
        through SQLite's busy handler, which is not fair, and some exceed ``busy_timeout`` under load.
        """
        unit = self._units.joinable()
        if unit is not None:
            with self._units.joined(unit) as connection:
                yield connection
            return
        body_done = False
        try:
            async with (
                self._answering(),
                self._writer_queue,
                self.engine.connect() as conn,
                conn.begin(),
            ):
                yield conn
                body_done = True
        except IntegrityError as error:
            if _is_foreign_key_violation(error):
                # every foreign key points at a user or a session: it was deleted (an erasure) meanwhile
                raise AccountGone() from error
            raise
        except DependencyUnavailable as exc:
            if body_done:
                raise CommitUncertain() from exc.__cause__
            raise

    @asynccontextmanager
    async def raw_write(self) -> AsyncIterator[asyncpg.Connection]:
        """As ``write``, on PostgreSQL only, but the asyncpg connection itself inside asyncpg's own
        transaction: for a hot path whose statements are compiled once (``rotation.RawStatement``), without
        SQLAlchemy's connection, transaction and result layers (half the CPU of a one-statement transaction,
        bench/README.md). The connection comes from the same pool, with the same check at checkout, the same
        translation of failures and ``CommitUncertain``; one that turns out dead at BEGIN is replaced once
        (``_raw_transaction``). SQLAlchemy began no transaction on it, so giving it back rolls nothing back."""
        body_done = False
        try:
            async with self._answering():
                pooled, connection, transaction = await self._raw_transaction()
                try:
                    try:
                        yield connection
                    except BaseException:
                        if not connection.is_closed():
                            await transaction.rollback()
                        raise
                    body_done = True
                    await transaction.commit()
                finally:
                    await greenlet_spawn(pooled.close)
        except asyncpg.ForeignKeyViolationError as error:
            raise AccountGone() from error
        except DependencyUnavailable as exc:
            if body_done:
                raise CommitUncertain() from exc.__cause__
            raise

    async def _raw_transaction(self) -> tuple[Any, asyncpg.Connection, Any]:
        """A pooled connection, its asyncpg connection and the transaction begun on it.

        A connection can die without this process seeing it close (a network path cut, a NAT or a failover
        that forgot it): the check at checkout passes and its first statement fails. If that statement, the
        BEGIN, fails with a connection error, the transaction had done nothing: the connection is thrown
        away, with every connection opened before it, and the transaction begun once more on a new one, so the
        request does not fail for it. A second failure, or a time-out (a server that does not answer), is an
        outage as before."""
        for attempt in range(2):
            pooled = await self.engine.raw_connection()
            connection: asyncpg.Connection = pooled.driver_connection
            transaction = connection.transaction()
            try:
                await transaction.start()
            except Exception as error:
                lost = not isinstance(error, TimeoutError) and _connection_lost(error, connection)
                if lost:
                    # what SQLAlchemy does when one of its own statements meets a dropped connection: whatever
                    # dropped this one likely dropped every connection opened before it, so those are replaced
                    # at their next checkout too, and the second attempt gets a new connection
                    await greenlet_spawn(self.engine.pool._invalidate, pooled, error)
                else:
                    await greenlet_spawn(pooled.invalidate, error)
                if attempt or not lost:
                    raise
                continue
            return pooled, connection, transaction
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that only reads; on SQLite it does not take the write lock. Inside a unit of work it
        is that unit's transaction, and sees what the unit wrote."""
        unit = self._units.joinable()
        if unit is not None:
            with self._units.joined(unit) as connection:
                yield connection
            return
        async with self._answering(), self.engine.connect() as conn:
            await conn.execution_options(**{_READ_ONLY: True})
            async with conn.begin():
                yield conn

    def _answering(self) -> AbstractAsyncContextManager[None]:
        return answering(DATABASE, database_unavailable, self._health)

    async def ping(self) -> None:
        """Raise unless the database answers (readiness probe)."""
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection (shutdown; tests)."""
        await self.engine.dispose()


def _connection_lost(error: Exception, connection: asyncpg.Connection) -> bool:
    return connection.is_closed() or isinstance(
        error, ConnectionError | asyncpg.exceptions.ConnectionDoesNotExistError
    )


def _is_foreign_key_violation(error: IntegrityError) -> bool:
    """PostgreSQL says SQLSTATE 23503; SQLite says so in its message only."""
    if getattr(error.orig, "sqlstate", None) == "23503":
        return True
    return "FOREIGN KEY constraint failed" in str(error.orig)


def _replace_closed_connections(engine: AsyncEngine) -> None:
    """At checkout, a connection whose socket is already closed is thrown away and another one taken: the
    pool invalidates a connection on ``DisconnectionError`` and tries again (up to three times)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the pooled connection was closed by the server")


def _create_parent_folder(url: URL) -> None:
    database = url.database or ""
    if database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the sqlite3 module, which would otherwise BEGIN deferred
        # lazily (and not at all before DDL); "begin" below emits the BEGIN we want
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # first, so that even switching the journal mode waits for a lock instead of failing
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

"""One repository contract suite, run against the in-memory fakes and every SQL backend.

A test written against the domain's ports takes ``stores``: every repository of one backend, typed to the
ports, so the same assertions hold for the fakes of ``tests.fakes`` (which keeps the service tests on fakes
honest), SQLite (a copy of a file migrated once per session) and PostgreSQL (a throw-away database created and
migrated once per session, emptied before each test). A test of something only SQL has (constraints, raw
statements, connection pools) takes ``db``, a ``Database`` of the SQL backends only. The PostgreSQL parameter
depends on the ``postgres_url`` fixture, so it is skipped without the server and fails under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from tests import fakes
from tests.audit_support import sql_audit_log
from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tokenward.adapters.sql import (
    Database,
    SqlKeyRepository,
    SqlSessionRepository,
    SqlUserRepository,
    migrate,
)
from tokenward.adapters.sql.clients import SqlClientRepository
from tokenward.adapters.sql.devices import SqlKnownDeviceRepository
from tokenward.adapters.sql.factors import SqlOtpRepository, SqlPasskeyRepository
from tokenward.adapters.sql.leases import SqlLeaseRepository
from tokenward.adapters.sql.mfa import SqlMfaRepository
from tokenward.adapters.sql.oidc import SqlAuthorizationCodeRepository
from tokenward.adapters.sql.one_time_tokens import SqlOneTimeTokenRepository
from tokenward.adapters.sql.tables import metadata
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.audit.ports import AuditRepository
from tokenward.domain.clients import ClientRepository
from tokenward.domain.clock import SystemClock
from tokenward.domain.email.ports import KnownDeviceRepository, OneTimeTokenRepository
from tokenward.domain.keys.ports import KeyRepository
from tokenward.domain.mfa.ports import MfaChallengeRepository, MfaRepository, OtpRepository, PasskeyRepository
from tokenward.domain.oidc.ports import AuthorizationCodeRepository
from tokenward.domain.ports import LeaseRepository
from tokenward.domain.sessions.ports import SessionRepository

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
#: the fakes first: the fastest to fail when a contract test itself is wrong
BACKENDS = ["fake", *SQL_BACKENDS]


def truncate_every_table() -> str:
    """Empties every table of the schema (taken from the metadata, so a new table cannot be forgotten);
    TRUNCATE is not stopped by the audit trail's row-level trigger."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    return f"TRUNCATE {names} RESTART IDENTITY CASCADE"


@dataclass(frozen=True)
class Stores:
    """Every repository of one backend, as the domain sees them: through its ports."""

    backend: str
    users: UserRepository
    sessions: SessionRepository
    keys: KeyRepository
    audit: AuditRepository
    one_time_tokens: OneTimeTokenRepository
    mfa: MfaRepository
    mfa_challenges: MfaChallengeRepository
    devices: KnownDeviceRepository
    leases: LeaseRepository
    clients: ClientRepository
    passkeys: PasskeyRepository
    otp: OtpRepository
    authorization_codes: AuthorizationCodeRepository

    @classmethod
    def fake(cls) -> Stores:
        users = fakes.FakeUserRepository()
        return cls(
            backend="fake",
            users=users,
            sessions=fakes.FakeSessionRepository(users),
            keys=fakes.FakeKeyRepository(),
            audit=fakes.FakeAuditRepository(),
            one_time_tokens=fakes.FakeOneTimeTokenRepository(),
            mfa=fakes.FakeMfaRepository(),
            mfa_challenges=fakes.FakeMfaChallengeRepository(),
            devices=fakes.FakeKnownDeviceRepository(),
            leases=fakes.FakeLeaseRepository(),
            clients=fakes.FakeClientRepository(),
            passkeys=fakes.FakePasskeyRepository(),
            otp=fakes.FakeOtpRepository(),
            authorization_codes=fakes.FakeAuthorizationCodeRepository(),
        )

    @classmethod
    def sql(cls, db: Database, backend: str) -> Stores:
        mfa = SqlMfaRepository(db)
        return cls(
            backend=backend,
            users=SqlUserRepository(db),
            sessions=SqlSessionRepository(db),
            keys=SqlKeyRepository(db),
            audit=sql_audit_log(db, SystemClock()),
            one_time_tokens=SqlOneTimeTokenRepository(db),
            mfa=mfa,
            mfa_challenges=mfa,
            devices=SqlKnownDeviceRepository(db),
            leases=SqlLeaseRepository(db),
            clients=SqlClientRepository(db),
            passkeys=SqlPasskeyRepository(db),
            otp=SqlOtpRepository(db),
            authorization_codes=SqlAuthorizationCodeRepository(db),
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


def _migrated_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tokenward.db"
        shutil.copyfile(template, path)
        return sqlite_url(path)
    url: str = request.getfixturevalue("postgres_contract_url")
    return url


@pytest.fixture(params=SQL_BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a migrated database holding no rows (sync, so it may call ``asyncio.run`` while setting up)."""
    return _migrated_database_url(request, request.param, tmp_path)


@pytest.fixture(params=BACKENDS)
def stores_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Like ``backend_url`` for the backends of ``stores``: ``None`` stands for the fakes."""
    return None if request.param == "fake" else _migrated_database_url(request, request.param, tmp_path)


@asynccontextmanager
async def _opened(url: str) -> AsyncIterator[Database]:
    # pool of 10 (+15 overflow) so concurrent tests really hold many PostgreSQL connections at once
    database = Database(url, pool_size=10, max_overflow=15)
    try:
        if database.is_postgresql:
            async with database.write() as conn:
                await conn.execute(text(truncate_every_table()))
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def db(backend_url: str) -> AsyncIterator[Database]:
    async with _opened(backend_url) as database:
        yield database


@pytest.fixture
async def stores(stores_url: str | None) -> AsyncIterator[Stores]:
    """Every repository of one backend (the fakes, SQLite or PostgreSQL), starting empty."""
    if stores_url is None:
        yield Stores.fake()
        return
    async with _opened(stores_url) as database:
        yield Stores.sql(database, "postgres" if database.is_postgresql else "sqlite")


@pytest.fixture(params=SQL_BACKENDS)
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

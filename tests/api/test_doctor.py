"""``tokenward doctor``: each deployment check says ok, warn or fail with why, on SQLite and PostgreSQL.

The PostgreSQL privilege check is shown both ways in a throw-away database: connected as the superuser that
migrated it (fail), as a least-privilege runtime role that only reads and writes rows and may only append to
the audit table (ok), and as roles that may change audit rows or alter the schema.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tokenward.adapters.sql import downgrade, head_revision, migrate
from tokenward.bootstrap import run_migrations
from tokenward.bootstrap.doctor import Check, Status, settings_checks
from tokenward.bootstrap.doctor_database import database_checks
from tokenward.cli import EXIT_OK, EXIT_USAGE, main
from tokenward.config import Settings
from tokenward.domain.clock import FrozenClock, SystemClock

PG_HOST = "db.internal.example"


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def check(checks: list[Check], name: str) -> Check:
    [found] = [c for c in checks if c.name == name]
    return found


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


# ------------------------------------------------------------------------------------------------ settings


@pytest.mark.threat("T-NET-01")
@pytest.mark.parametrize(
    ("query", "mode", "status"),
    [
        ("?sslmode=verify-full", "production", Status.OK),
        ("?ssl=verify-full", "production", Status.OK),
        ("?sslmode=require", "production", Status.WARN),
        ("?sslmode=verify-ca", "production", Status.WARN),
        ("", "production", Status.FAIL),
        ("?sslmode=disable", "production", Status.FAIL),
        ("", "development", Status.WARN),
    ],
)
def test_database_tls_is_read_from_the_url(tmp_path: Path, query: str, mode: str, status: Status) -> None:
    """Attack: read or alter the traffic between Tokenward and a database on another host."""
    url = f"postgresql+asyncpg://tokenward@{PG_HOST}:5432/tokenward{query}"
    found = check(settings_checks(settings(tmp_path, mode=mode, database_url=url)), "database TLS")
    assert found.status is status, found.explanation


@pytest.mark.threat("T-NET-01")
def test_a_local_database_without_tls_is_fine(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://tokenward@127.0.0.1:5432/tokenward"
    assert (
        check(settings_checks(settings(tmp_path, mode="production", database_url=url)), "database TLS").status
        is Status.OK
    )


@pytest.mark.threat("T-NET-01")
@pytest.mark.parametrize(
    ("values", "name", "status"),
    [
        ({"redis_url": "rediss://redis.internal.example:6380/0"}, "Redis TLS", Status.OK),
        (
            {"redis_url": "rediss://redis.internal.example:6380/0?ssl_cert_reqs=none"},
            "Redis TLS",
            Status.WARN,
        ),
        ({"redis_url": "redis://redis.internal.example:6379/0"}, "Redis TLS", Status.FAIL),
        ({"redis_url": "redis://127.0.0.1:6379/0"}, "Redis TLS", Status.OK),
        ({"smtp_host": "smtp.example.com"}, "SMTP TLS", Status.OK),
        ({"smtp_host": "smtp.example.com", "smtp_starttls": False}, "SMTP TLS", Status.FAIL),
        ({"smtp_host": "smtp.example.com", "smtp_starttls": False, "smtp_tls": True}, "SMTP TLS", Status.OK),
        ({"issuer": "https://auth.example.com"}, "issuer and origins", Status.OK),
        (
            {"issuer": "https://auth.example.com", "public_url": "http://auth.example.com"},
            "issuer and origins",
            Status.FAIL,
        ),
    ],
)
def test_connections_and_urls_in_production(
    tmp_path: Path, values: dict[str, object], name: str, status: Status
) -> None:
    found = check(settings_checks(settings(tmp_path, mode="production", **values)), name)
    assert found.status is status, found.explanation


@pytest.mark.threat("T-NET-01")
def test_a_plain_http_cors_origin_is_named(tmp_path: Path) -> None:
    values = {
        "issuer": "https://auth.example.com",
        "cors_origins": ["https://app.example.com", "http://localhost:5173"],
    }
    found = check(settings_checks(settings(tmp_path, **values)), "issuer and origins")
    assert (found.status, found.explanation) == (Status.WARN, "not https: http://localhost:5173")


@pytest.mark.threat("T-KEY-03")
@pytest.mark.parametrize(
    ("kek", "status", "words"),
    [
        (None, Status.FAIL, "not set"),
        (b64(bytes(32)), Status.FAIL, "not a random key"),
        (b64(b"0123456789abcdef" * 2), Status.OK, "no visible pattern"),
        (b64(secrets.token_bytes(32)), Status.OK, "no visible pattern"),
    ],
)
def test_the_kek_must_be_a_real_secret(tmp_path: Path, kek: str | None, status: Status, words: str) -> None:
    found = check(settings_checks(settings(tmp_path, mode="production", kek=kek)), "key-encryption key")
    assert (found.status, words in found.explanation) == (status, True), found.explanation


@pytest.mark.threat("T-KEY-03")
def test_the_development_kek_fails_in_production(tmp_path: Path) -> None:
    dev = secrets.token_bytes(32)
    (tmp_path / "dev-kek").write_bytes(base64.urlsafe_b64encode(dev))
    found = check(settings_checks(settings(tmp_path, mode="production", kek=b64(dev))), "key-encryption key")
    assert (found.status, found.explanation) == (
        Status.FAIL,
        "TOKENWARD_KEK is the generated development key",
    )


# ----------------------------------------------------------------------------------------- the command


@pytest.mark.threat("T-KEY-03")
def test_doctor_on_sqlite_warns_in_development_and_fails_on_a_weak_kek(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOKENWARD_DATA_DIR", str(tmp_path))
    assert main(["doctor"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "warn  key-encryption key: TOKENWARD_KEK is not set" in out
    assert "ok    database TLS: SQLite" in out
    assert "ok    database clock: SQLite runs on this machine" in out
    assert not (tmp_path / "tokenward.db").exists()  # the doctor creates nothing

    monkeypatch.setenv("TOKENWARD_KEK", b64(b"\x01" * 32))
    assert main(["doctor"]) == EXIT_USAGE
    assert (
        "fail  key-encryption key: TOKENWARD_KEK has only 1 distinct byte values" in capsys.readouterr().out
    )


async def test_a_world_readable_sqlite_file_is_a_warning(tmp_path: Path) -> None:
    database = tmp_path / "tokenward.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    found = check(await database_checks(settings(tmp_path), SystemClock()), "database role")
    assert (found.status, "chmod 600" in found.explanation) == (Status.WARN, True)
    database.chmod(0o600)
    assert (
        check(await database_checks(settings(tmp_path), SystemClock()), "database role").status is Status.OK
    )


async def test_the_schema_revision_is_compared_with_this_versions(tmp_path: Path) -> None:
    """At head: ok. Older (a deploy that skipped ``tokenward migrate``): a warning naming the command. A
    revision this version does not know (a newer version migrated, then this one was rolled back): a failure."""
    path = tmp_path / "tokenward.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    assert (
        check(await database_checks(settings(tmp_path), SystemClock()), "database schema").status is Status.OK
    )

    await downgrade(url, "0011")
    older = check(await database_checks(settings(tmp_path), SystemClock()), "database schema")
    assert older.status is Status.WARN
    assert (
        older.explanation
        == f"at revision 0011, this version expects {head_revision()}: run `tokenward migrate`"
    )

    await _execute(url, "UPDATE alembic_version SET version_num = '9999'")
    newer = check(await database_checks(settings(tmp_path), SystemClock()), "database schema")
    assert newer.status is Status.FAIL
    assert newer.explanation.startswith("at revision 9999, which this version does not know")


async def test_an_empty_sqlite_file_has_no_schema_yet(tmp_path: Path) -> None:
    (tmp_path / "tokenward.db").write_bytes(b"")
    found = check(await database_checks(settings(tmp_path), SystemClock()), "database schema")
    assert found.status is Status.WARN
    assert found.explanation.startswith("no schema yet: `tokenward migrate` creates it")


async def test_an_unreachable_database_is_one_failed_check(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://tokenward@127.0.0.1:1/tokenward"
    [found] = await database_checks(settings(tmp_path, database_url=url), SystemClock())
    assert (found.name, found.status) == ("database", Status.FAIL)


# ----------------------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class Roles:
    """The throw-away database (migrated by the superuser) and a URL per role made for it."""

    superuser: str
    runtime: str
    audit_editor: str
    owner: str


async def _execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _as(url: str, role: str, password: str) -> str:
    return make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def roles(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Roles]:
    url = await create_fresh_postgres_database(postgres_url)
    tag = secrets.token_hex(4)
    names = {kind: f"tw_test_{kind}_{tag}" for kind in ("runtime", "audit_editor", "owner")}
    password = secrets.token_urlsafe(16)
    try:
        await run_migrations(settings(tmp_path_factory.mktemp("pg"), database_url=url))
        database = make_url(url).database
        statements = ["REVOKE CREATE ON SCHEMA public FROM PUBLIC"]
        for name in names.values():
            statements += [
                f"CREATE ROLE {name} LOGIN PASSWORD '{password}'",
                f'GRANT CONNECT ON DATABASE "{database}" TO {name}',
                f"GRANT USAGE ON SCHEMA public TO {name}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
                f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {name}",
            ]
        statements += [
            f"GRANT UPDATE, DELETE ON audit_events TO {names['audit_editor']}",
            f"ALTER TABLE leases OWNER TO {names['owner']}",
        ]
        await _execute(url, *statements)
        yield Roles(
            superuser=url,
            runtime=_as(url, names["runtime"], password),
            audit_editor=_as(url, names["audit_editor"], password),
            owner=_as(url, names["owner"], password),
        )
    finally:
        await drop_postgres_database(url)
        await _execute(postgres_url, *(f"DROP ROLE IF EXISTS {name}" for name in names.values()))


async def _role_check(tmp_path: Path, url: str, mode: str = "production") -> Check:
    return check(
        await database_checks(settings(tmp_path, mode=mode, database_url=url), SystemClock()), "database role"
    )


@pytest.mark.threat("T-AUD-01")
async def test_a_superuser_runtime_role_fails(roles: Roles, tmp_path: Path) -> None:
    found = await _role_check(tmp_path, roles.superuser)
    assert (found.status, "is a superuser" in found.explanation) == (Status.FAIL, True)


@pytest.mark.threat("T-AUD-01")
async def test_a_least_privilege_runtime_role_passes(roles: Roles, tmp_path: Path) -> None:
    found = await _role_check(tmp_path, roles.runtime)
    assert found.status is Status.OK, found.explanation
    assert "audit rows are append-only" in found.explanation


@pytest.mark.threat("T-AUD-01")
async def test_a_role_that_may_change_audit_rows_fails_in_production(roles: Roles, tmp_path: Path) -> None:
    """Attack: an insider (or an injection) with the runtime role's rights rewrites the audit trail."""
    found = await _role_check(tmp_path, roles.audit_editor)
    assert found.status is Status.FAIL
    assert "may UPDATE/DELETE audit_events" in found.explanation
    assert (await _role_check(tmp_path, roles.audit_editor, mode="development")).status is Status.WARN


@pytest.mark.threat("T-AUD-01")
async def test_a_role_owning_a_table_can_alter_it_and_is_warned(roles: Roles, tmp_path: Path) -> None:
    found = await _role_check(tmp_path, roles.owner)
    assert found.status is Status.WARN
    assert "owns 1 table(s) and so can ALTER or DROP them (leases…)" in found.explanation


async def test_the_clock_is_compared_with_the_database(roles: Roles, tmp_path: Path) -> None:
    in_sync = check(
        await database_checks(settings(tmp_path, database_url=roles.runtime), SystemClock()), "database clock"
    )
    assert in_sync.status is Status.OK, in_sync.explanation
    drifted = FrozenClock(SystemClock().now() + timedelta(minutes=5))
    found = check(
        await database_checks(settings(tmp_path, database_url=roles.runtime), drifted), "database clock"
    )
    assert (found.status, "more than the 30 s token leeway" in found.explanation) == (Status.FAIL, True)

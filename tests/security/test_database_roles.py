"""The PostgreSQL roles of docs/security/checklists.md work as written, and the runtime role is least privilege.

The two SQL blocks of the checklist (role setup, then the runtime role's GRANTs) are run as written, with role
and database names made unique for this run. Tokenward then runs as the runtime role: it signs users up and in,
refreshes, enrols a second factor, rotates and revokes keys, re-encrypts under a new KEK, manages API
clients, cleans up, exports and erases an account and verifies the audit chain; and the same role is refused
``ALTER TABLE``, ``CREATE TABLE``, ``DROP TRIGGER`` and any change to the audit trail (threats T-INS-01,
T-AUD-01).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from tests.harness import STRONG_PASSWORD, bearer, make_settings, running_app
from tests.mfa_support import enrol_totp

from tokenward.adapters.sql.migrate import migrate
from tokenward.adapters.sql.tables import ALL_TABLES
from tokenward.domain.keys.encryption import KeyEncryptor

CHECKLIST = Path(__file__).resolve().parents[2] / "docs" / "security" / "checklists.md"

pytestmark = pytest.mark.postgres


def sql_block(marker: str) -> str:
    """The fenced ``sql`` block that follows ``<!-- marker: … -->`` in the checklist."""
    text_ = CHECKLIST.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker}:[^>]*-->\s*```sql\n(.*?)```", text_, re.DOTALL)
    assert match is not None, f"checklists.md has no sql block after <!-- {marker}: … -->"
    return match.group(1)


def statements(block: str, names: dict[str, str]) -> list[str]:
    for name, unique in names.items():
        block = re.sub(rf"\b{name}\b", unique, block)
    return [statement.strip() for statement in block.split(";") if statement.strip()]


@dataclass
class Roles:
    migrator_url: str
    runtime_url: str


async def _execute(url: str, *sql: str, autocommit: bool = False) -> None:
    engine = create_async_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT" if autocommit else None
    )
    try:
        async with engine.begin() as conn:
            for statement in sql:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def roles(postgres_url: str) -> AsyncIterator[Roles]:
    suffix = secrets.token_hex(4)
    names = {
        "tokenward_migrator": f"tw_test_migrator_{suffix}",
        "tokenward_runtime": f"tw_test_runtime_{suffix}",
        "tokenward": f"tw_test_roles_{suffix}",
    }
    server = make_url(postgres_url).set(drivername="postgresql+asyncpg")
    maintenance = server.set(database="postgres").render_as_string(hide_password=False)
    database = server.set(database=names["tokenward"]).render_as_string(hide_password=False)
    setup = statements(sql_block("roles-setup"), names)
    connect = next(index for index, statement in enumerate(setup) if statement.startswith("\\connect"))
    try:
        await _execute(maintenance, *setup[:connect], autocommit=True)
        # the rest of the block runs inside the new database: the first statement still carries the \connect line
        in_database = [setup[connect].split("\n", 1)[1], *setup[connect + 1 :]]
        await _execute(database, *in_database)
        migrator = server.set(
            database=names["tokenward"], username=names["tokenward_migrator"], password=None
        )
        runtime = migrator.set(username=names["tokenward_runtime"])
        await migrate(migrator)
        await _execute(migrator.render_as_string(), *statements(sql_block("roles-grants"), names))
        yield Roles(migrator.render_as_string(), runtime.render_as_string())
    finally:
        await _execute(
            maintenance,
            f'DROP DATABASE IF EXISTS "{names["tokenward"]}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{names["tokenward_runtime"]}"',
            f'DROP ROLE IF EXISTS "{names["tokenward_migrator"]}"',
            autocommit=True,
        )


def test_the_grants_name_every_table() -> None:
    """A new table must be granted (or deliberately left out) in the checklist, or the runtime cannot use it."""
    block = sql_block("roles-grants")
    granted = set(re.findall(r"\b([a-z_]+)\b", block))
    missing = sorted(table.name for table in ALL_TABLES if table.name not in granted)
    assert missing == []
    assert "alembic_version" in granted


@pytest.mark.threat("T-INS-01")
async def test_the_runtime_role_runs_tokenward(roles: Roles, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=roles.runtime_url, auto_migrate=False)
    async with running_app(settings) as api:
        _, tokens = await api.new_user()
        refreshed = await api.refresh(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        access = refreshed.json()["access_token"]
        assert (await api.client.get("/v1/me", headers=bearer(access))).status_code == 200
        await enrol_totp(api, access)  # encrypted factor, hashed recovery codes
        assert (await api.client.post("/v1/logout", headers=bearer(access))).status_code == 200
        container = api.container
        new_key = await container.keys.rotate()
        assert (await container.keys.revoke(new_key.kid)) is not None
        client = await container.clients.create("resource server")
        await container.clients.delete(client.client.id)
        report = await container.cleanup.run()
        assert report.ran
        rewrapped = await container.kek_rotation().rewrap(KeyEncryptor(secrets.token_bytes(32)))
        assert rewrapped.totp_secrets == 1
        _, doomed = await api.new_user()
        assert (
            await api.client.get("/v1/me/export", headers=bearer(doomed["access_token"]))
        ).status_code == 200
        erased = await api.client.request(
            "DELETE", "/v1/me", json={"password": STRONG_PASSWORD}, headers=bearer(doomed["access_token"])
        )
        assert erased.status_code == 204, erased.text
        assert (await container.audit_log.verify()).broken is None


@pytest.mark.threat("T-INS-01", "T-AUD-01")
@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE users ADD COLUMN is_admin boolean",
        "CREATE TABLE stolen (secret text)",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "UPDATE audit_events SET outcome = 'success'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM audit_chain_head",
        "UPDATE audit_personal SET sealed = ''",
    ],
)
async def test_the_runtime_role_cannot_change_the_schema_or_the_audit_trail(
    roles: Roles, statement: str
) -> None:
    """Attack: a compromised server process (or its database password) rewrites history or the schema."""
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
        await _execute(roles.runtime_url, statement)

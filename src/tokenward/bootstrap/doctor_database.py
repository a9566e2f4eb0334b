"""The database half of ``tokenward doctor``: the clock against the database's, the runtime role's rights, and
the schema's migration revision.

Tokens carry times checked with a small leeway, so a server whose clock drifts from the database's (which
stamps nothing, but shares the host's time source in most deployments) is a sign of a machine without clock
sync. On PostgreSQL the role Tokenward connects as should be able to read and write rows, but neither alter the
schema (owning the tables or creating in the schema) nor update, delete or truncate audit rows: the triggers
that refuse those are themselves something a table owner can switch off.

Nothing here writes: the checks are ``SELECT`` statements and a missing SQLite file is not created.
"""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.migrate import current_revision, head_revision, is_known_revision
from tokenward.bootstrap.doctor import Check, Status
from tokenward.config import Settings
from tokenward.domain.clock import Clock

#: seconds to reach the database before the checks give up
CONNECT_TIMEOUT_SECONDS = 10
#: a clock further off than this is worth a warning even inside the leeway
SKEW_WARNING_SECONDS = 2.0
AUDIT_TABLE = "audit_events"


async def database_checks(settings: Settings, clock: Clock) -> list[Check]:
    """The checks that ask the database; a database that cannot be reached is one failed check."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        checks = _sqlite_checks(path)
        # a file that does not exist is not opened: opening would create it
        return [*checks, await schema_check(url)] if _exists(path) else checks
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            async with database.read() as conn:
                checks = [await _clock_check(conn, settings, clock), await privilege_check(conn, settings)]
            return [*checks, await schema_check(url)]
    except Exception as exc:  # whatever stops the queries (refused, timed out, denied) is the finding
        return [Check("database", Status.FAIL, f"cannot query the database: {type(exc).__name__}: {exc}")]
    finally:
        await database.dispose()


async def schema_check(url: URL) -> Check:
    """The schema's migration revision against the one this version expects: an old schema is a warning
    (``tokenward migrate``), a revision this version does not know means a newer version migrated it."""
    current, head = await current_revision(url), head_revision()
    if current == head:
        return Check("database schema", Status.OK, f"at revision {current}, the newest this version knows")
    if current is None:
        return Check(
            "database schema",
            Status.WARN,
            "no schema yet: `tokenward migrate` creates it (or a start with TOKENWARD_AUTO_MIGRATE on)",
        )
    if is_known_revision(current):
        return Check(
            "database schema",
            Status.WARN,
            f"at revision {current}, this version expects {head}: run `tokenward migrate`",
        )
    return Check(
        "database schema",
        Status.FAIL,
        f"at revision {current}, which this version does not know: a newer Tokenward migrated it; "
        "run that version (downgrading the schema is not supported)",
    )


def _exists(path: Path) -> bool:
    return path.exists()


def _sqlite_checks(path: Path) -> list[Check]:
    clock = Check("database clock", Status.OK, "SQLite runs on this machine: one clock")
    if not path.exists():
        return [
            clock,
            Check("database role", Status.OK, f"{path} does not exist yet; it is created on first start"),
        ]
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        return [
            clock,
            Check(
                "database role",
                Status.WARN,
                f"{path} is readable or writable by other users (mode {mode:o}); chmod 600 it",
            ),
        ]
    return [
        clock,
        Check("database role", Status.OK, f"SQLite has no roles; {path} is private (mode {mode:o})"),
    ]


async def _clock_check(conn: AsyncConnection, settings: Settings, clock: Clock) -> Check:
    before = clock.now()
    database_now: datetime = (await conn.execute(text("SELECT now()"))).scalar_one()
    after = clock.now()
    ours = before + (after - before) / 2
    skew = abs((database_now - ours).total_seconds())
    if skew > settings.token_leeway:
        return Check(
            "database clock",
            Status.FAIL,
            f"{skew:.1f} s apart, more than the {settings.token_leeway} s token leeway: set up clock sync (NTP)",
        )
    if skew > SKEW_WARNING_SECONDS:
        return Check("database clock", Status.WARN, f"{skew:.1f} s apart; check clock sync (NTP)")
    return Check("database clock", Status.OK, f"{skew:.1f} s apart")


async def privilege_check(conn: AsyncConnection, settings: Settings) -> Check:
    """What the connected PostgreSQL role may do beyond reading and writing rows."""
    role, superuser = (
        await conn.execute(text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"))
    ).one()
    if superuser:
        return Check(
            "database role", Status.FAIL, f"{role} is a superuser: it can do anything, audit rows included"
        )
    owned = (
        (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND pg_has_role(current_user, tableowner, 'USAGE') ORDER BY tablename"
                )
            )
        )
        .scalars()
        .all()
    )
    can_create = (
        await conn.execute(text("SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')"))
    ).scalar_one()
    audit_rights: list[str] = []
    if (await conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": AUDIT_TABLE})).scalar_one():
        for right in ("UPDATE", "DELETE", "TRUNCATE"):
            query = text("SELECT has_table_privilege(current_user, :t, :right)")
            if (await conn.execute(query, {"t": AUDIT_TABLE, "right": right})).scalar_one():
                audit_rights.append(right)
    return _privilege_finding(settings, role, list(owned), bool(can_create), audit_rights)


def _privilege_finding(
    settings: Settings, role: str, owned: list[str], can_create: bool, audit_rights: list[str]
) -> Check:
    findings = []
    if audit_rights:
        findings.append(f"may {'/'.join(audit_rights)} {AUDIT_TABLE}")
    if owned:
        findings.append(f"owns {len(owned)} table(s) and so can ALTER or DROP them ({', '.join(owned[:3])}…)")
    if can_create:
        findings.append("may CREATE in the schema")
    if not findings:
        return Check(
            "database role", Status.OK, f"{role} reads and writes rows only; audit rows are append-only"
        )
    advice = "run migrations with a separate role and set TOKENWARD_AUTO_MIGRATE=false"
    status = Status.FAIL if audit_rights and settings.is_production else Status.WARN
    return Check("database role", status, f"{role} " + "; ".join(findings) + f": {advice}")

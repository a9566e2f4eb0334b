"""The audit log on a SQL database, as the container wires it, and ways to tamper with it for tests.

Tampering goes around the append-only triggers the way a database superuser could: on PostgreSQL with
``session_replication_role = replica`` (triggers do not fire), on SQLite by dropping the triggers for the one
statement and creating them again.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import text

from tokenward.adapters.sql import Database, SqlAuditStore, SqlDataKeyRepository
from tokenward.domain.audit.log import AuditLog
from tokenward.domain.audit.personal import PersonalDataVault
from tokenward.domain.clock import Clock
from tokenward.domain.keys.encryption import KeyEncryptor

_SQLITE_GUARD = (
    "CREATE TRIGGER audit_events_no_{action} BEFORE {upper} ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
)


def sql_audit_log(db: Database, clock: Clock, kek: bytes | None = None) -> AuditLog:
    vault = PersonalDataVault(SqlDataKeyRepository(db), KeyEncryptor(kek or os.urandom(32)), clock)
    return AuditLog(SqlAuditStore(db), vault)


async def tamper(db: Database, statement: str, **parameters: Any) -> None:
    """Run ``statement`` on the audit table with its append-only triggers bypassed, as a superuser could."""
    async with db.write() as conn:
        if db.is_postgresql:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(statement), parameters)
            return
        for action in ("update", "delete"):
            await conn.execute(text(f"DROP TRIGGER audit_events_no_{action}"))
        await conn.execute(text(statement), parameters)
        for action in ("update", "delete"):
            await conn.execute(text(_SQLITE_GUARD.format(action=action, upper=action.upper())))

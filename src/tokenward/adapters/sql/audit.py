"""``AuditRepository`` on SQL: the append-only audit trail.

There is deliberately no update or delete here; the migration also installs a trigger that makes the database
refuse both (threat T-AUD-01). Events arrive already redacted by ``AuditTrail``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import audit_events
from tokenward.domain.audit.events import AuditEvent


class SqlAuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, event: AuditEvent) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(audit_events).values(
                    type=event.type,
                    at=event.at,
                    outcome=event.outcome,
                    user_id=event.user_id,
                    session_id=event.session_id,
                    ip=event.ip,
                    user_agent=event.user_agent,
                    details=dict(event.details),
                )
            )

    async def list_events(
        self, *, user_id: str | None = None, event_type: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        statement = select(audit_events)
        if user_id is not None:
            statement = statement.where(audit_events.c.user_id == user_id)
        if event_type is not None:
            statement = statement.where(audit_events.c.type == event_type)
        # newest first; the id breaks ties between events recorded in the same microsecond
        statement = statement.order_by(audit_events.c.at.desc(), audit_events.c.id.desc())
        statement = statement.limit(max(limit, 0))
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_event(row) for row in rows]


def _event(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        type=row.type,
        at=row.at,
        outcome=row.outcome,
        user_id=row.user_id,
        session_id=row.session_id,
        ip=row.ip,
        user_agent=row.user_agent,
        details=dict(row.details),
    )

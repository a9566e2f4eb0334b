"""Revision 0005 links the events recorded before it into the hash chain (and drops their clear-text IP)."""

from __future__ import annotations

from sqlalchemy import text

from tests.audit_support import sql_audit_log
from tests.contract import records
from tokenward.adapters.sql import Database, downgrade, migrate
from tokenward.domain.clock import FrozenClock

_LEGACY_ROW = (
    "INSERT INTO audit_events (type, at, outcome, user_id, session_id, ip, user_agent, details) "
    "VALUES (:type, :at, 'success', :user_id, NULL, '192.0.2.1', 'legacy/1', :details)"
)


async def test_events_from_before_the_chain_are_linked_by_the_migration(
    empty_database_url: str, clock: FrozenClock
) -> None:
    await migrate(empty_database_url)
    await downgrade(empty_database_url, "0004")
    db = Database(empty_database_url)
    try:
        async with db.write() as conn:
            for n in range(3):
                await conn.execute(
                    text(_LEGACY_ROW),
                    {"type": "login_succeeded", "at": clock.now(), "user_id": f"u{n}", "details": '{"n": 1}'},
                )
        await migrate(empty_database_url)
        log = sql_audit_log(db, clock)
        await log.record(records.audit_event(clock.now(), user_id="after", ip="192.0.2.2"))

        report = await log.verify()
        assert report.ok, report.broken
        assert report.checked == 4
        assert [e.user_id for e in await log.list_events()] == ["after", "u2", "u1", "u0"]
        assert all(e.ip is None for e in (await log.list_events())[1:])
    finally:
        await db.dispose()

"""The audit log on SQL: recorded, listed newest first, append-only (T-AUD-01), one hash chain that names the
first broken link after tampering (T-AUD-02), personal fields sealed, erasable and expiring."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.audit_support import sql_audit_log, tamper
from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.adapters.sql import Database, SqlAuditStore
from tokenward.domain.audit.events import AuditEvent
from tokenward.domain.audit.log import AuditLog, AuditQuery
from tokenward.domain.audit.ports import AuditRepository
from tokenward.domain.clock import FrozenClock


@pytest.fixture
def events(stores: Stores) -> AuditRepository:
    """The port, on the fake and on every SQL backend."""
    return stores.audit


@pytest.fixture
def repo(db: Database, clock: FrozenClock) -> AuditLog:
    """The audit log on SQL: the chain, the sealed fields."""
    return sql_audit_log(db, clock)


async def _record_many(repo: AuditLog, clock: FrozenClock, count: int, **changes: object) -> None:
    for n in range(count):
        await repo.record(records.audit_event(clock.now(), details={"n": n}, ip="198.51.100.9", **changes))
        clock.advance(1)


async def test_record_round_trips_every_field(events: AuditRepository, clock: FrozenClock) -> None:
    repo = events
    event = AuditEvent(
        type="login_failed",
        at=clock.now(),
        outcome="failure",
        user_id="user-1",
        session_id="session-1",
        ip="2001:db8::1",
        user_agent="curl/8.5",
        details={"reason": "invalid_credentials", "attempt": 3, "methods": ["pwd"], "nested": {"a": None}},
    )
    await repo.record(event)

    assert await repo.list_events() == [event]


async def test_list_is_newest_first_with_filters_and_limit(
    events: AuditRepository, clock: FrozenClock
) -> None:
    repo = events
    recorded = []
    for index in range(6):
        event = records.audit_event(
            clock.now(),
            type="login_succeeded" if index % 2 else "login_failed",
            user_id="alice" if index < 4 else "bob",
            details={"n": index},
        )
        await repo.record(event)
        recorded.append(event)
        clock.advance(1)
    newest_first = list(reversed(recorded))

    assert await repo.list_events() == newest_first
    assert await repo.list_events(limit=2) == newest_first[:2]
    assert await repo.list_events(user_id="alice") == [e for e in newest_first if e.user_id == "alice"]
    assert await repo.list_events(event_type="login_failed") == [
        e for e in newest_first if e.type == "login_failed"
    ]
    assert await repo.list_events(user_id="bob", event_type="login_succeeded") == [recorded[5]]
    assert await repo.list_events(user_id="carol") == []


async def test_search_pages_with_a_cursor_and_a_time_range(repo: AuditLog, clock: FrozenClock) -> None:
    start = clock.now()
    await _record_many(repo, clock, 7, user_id="alice")

    first = await repo.search(AuditQuery(user_id="alice", limit=3))
    assert [e.seq for e in first.events] == [7, 6, 5]
    assert first.next_cursor is not None
    from tokenward.domain.audit.log import decode_cursor

    second = await repo.search(
        AuditQuery(user_id="alice", limit=3, before_seq=decode_cursor(first.next_cursor))
    )
    assert [e.seq for e in second.events] == [4, 3, 2]
    window = await repo.search(
        AuditQuery(since=start + timedelta(seconds=2), until=start + timedelta(seconds=4), limit=10)
    )
    assert [e.seq for e in window.events] == [4, 3]
    assert window.next_cursor is None


@pytest.mark.threat("T-AUD-01", "T-INS-01")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'success' WHERE type = :type",
        "UPDATE audit_events SET details = '{}'",
        "DELETE FROM audit_events WHERE type = :type",
        "DELETE FROM audit_events",
    ],
)
async def test_audit_trail_is_append_only_in_the_database(
    repo: AuditLog, db: Database, clock: FrozenClock, statement: str
) -> None:
    event = records.audit_event(clock.now(), type="login_failed", outcome="failure", details={"ip_count": 1})
    await repo.record(event)

    with pytest.raises(DBAPIError, match="append-only"):
        async with db.write() as conn:
            await conn.execute(text(statement), {"type": "login_failed"})

    assert await repo.list_events() == [event]


@pytest.mark.threat("T-AUD-01")
def test_store_offers_no_way_to_change_an_event() -> None:
    public = {name for name in dir(SqlAuditStore) if not name.startswith("_")}
    assert public == {"append", "search", "walk", "head", "drop_personal_before"}


async def test_concurrent_writers_form_one_unbroken_chain(repo: AuditLog, clock: FrozenClock) -> None:
    await asyncio.gather(
        *(repo.record(records.audit_event(clock.now(), details={"n": n})) for n in range(40))
    )

    report = await repo.verify()
    assert report.ok, report.broken
    assert report.checked == 40
    assert report.head.seq == 40


@pytest.mark.threat("T-AUD-02")
async def test_an_edited_event_breaks_the_chain_at_that_event(
    repo: AuditLog, db: Database, clock: FrozenClock
) -> None:
    await _record_many(repo, clock, 6)
    assert (await repo.verify()).ok

    await tamper(db, "UPDATE audit_events SET outcome = 'failure' WHERE id = 4")

    report = await repo.verify()
    assert report.broken is not None
    assert report.broken.seq == 4
    assert "does not match the event's content" in report.broken.reason
    assert report.checked == 3


@pytest.mark.threat("T-AUD-02")
async def test_a_deleted_event_breaks_the_chain_at_that_event(
    repo: AuditLog, db: Database, clock: FrozenClock
) -> None:
    await _record_many(repo, clock, 6)

    await tamper(db, "DELETE FROM audit_events WHERE id = 3")

    report = await repo.verify()
    assert report.broken is not None
    assert report.broken.seq == 3
    assert "event 3 is missing" in report.broken.reason


@pytest.mark.threat("T-AUD-02")
async def test_a_cut_off_tail_does_not_match_the_head(
    repo: AuditLog, db: Database, clock: FrozenClock
) -> None:
    await _record_many(repo, clock, 5)

    await tamper(db, "DELETE FROM audit_events WHERE id >= 4")

    report = await repo.verify()
    assert report.broken is not None
    assert report.broken.seq == 4
    assert "chain head says 5 events" in report.broken.reason


@pytest.mark.threat("T-AUD-02")
async def test_a_rehashed_forgery_still_breaks_the_next_link(
    repo: AuditLog, db: Database, clock: FrozenClock
) -> None:
    """An attacker who edits a row and recomputes its hash still leaves the next row's prev_hash behind."""
    await _record_many(repo, clock, 4)
    row = (await repo.store.walk(1, 1))[0]
    from dataclasses import replace

    from tokenward.domain.audit.chain import recomputed_hash

    forged = replace(row, outcome="failure")
    await tamper(
        db,
        "UPDATE audit_events SET outcome = 'failure', hash = :hash WHERE id = 2",
        hash=recomputed_hash(forged),
    )

    report = await repo.verify()
    assert report.broken is not None
    assert report.broken.seq == 3
    assert "prev_hash" in report.broken.reason


async def test_personal_fields_are_stored_only_sealed(
    repo: AuditLog, db: Database, clock: FrozenClock
) -> None:
    await repo.record(
        records.audit_event(clock.now(), user_id="alice", ip="192.0.2.77", user_agent="Agent/77")
    )

    async with db.read() as conn:
        sealed = (await conn.execute(text("SELECT sealed FROM audit_personal"))).scalar_one()
        details = (await conn.execute(text("SELECT details FROM audit_events"))).scalar_one()
    assert b"192.0.2.77" not in sealed
    assert b"Agent/77" not in sealed
    assert "192.0.2.77" not in str(details)
    assert (await repo.list_events())[0].ip == "192.0.2.77"


async def test_forgetting_a_user_shreds_their_personal_fields_and_keeps_the_chain(
    repo: AuditLog, clock: FrozenClock
) -> None:
    await _record_many(repo, clock, 2, user_id="alice")
    await _record_many(repo, clock, 1, user_id="bob")

    await repo.forget_user("alice")
    # an event that raced the erasure is stored without personal fields, not under a new key
    await repo.record(records.audit_event(clock.now(), user_id="alice", ip="198.51.100.10"))

    page = await repo.search(AuditQuery(limit=10))
    by_user = {(e.event.user_id, e.seq): e for e in page.events}
    assert [by_user["alice", s].personal for s in (1, 2)] == ["erased", "erased"]
    assert by_user["alice", 1].event.ip is None
    assert by_user["alice", 4].personal == "none"
    assert by_user["bob", 3].event.ip == "198.51.100.9"
    assert (await repo.verify()).ok


async def test_retention_deletes_old_personal_fields_and_keeps_the_chain(
    repo: AuditLog, clock: FrozenClock
) -> None:
    await _record_many(repo, clock, 3, user_id="alice")

    dropped = await repo.store.drop_personal_before(clock.now() - timedelta(seconds=1.5))

    assert dropped == 2
    page = await repo.search(AuditQuery(limit=10))
    assert [e.personal for e in page.events] == ["present", "expired", "expired"]
    assert (await repo.verify()).ok

"""AuditRepository contract: recorded, listed newest first, filtered, and append-only (T-AUD-01)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.adapters.sql import Database, SqlAuditRepository
from tokenward.domain.audit.events import AuditEvent, AuditRepository
from tokenward.domain.clock import FrozenClock


@pytest.fixture
def repo(stores: Stores) -> AuditRepository:
    return stores.audit


async def test_record_round_trips_every_field(repo: AuditRepository, clock: FrozenClock) -> None:
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


async def test_list_is_newest_first_with_filters_and_limit(repo: AuditRepository, clock: FrozenClock) -> None:
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
    # same instant as the last one: recording order breaks the tie
    same_instant = records.audit_event(recorded[-1].at, type="logout", user_id="bob", details={"n": 6})
    await repo.record(same_instant)
    recorded.append(same_instant)
    newest_first = list(reversed(recorded))

    assert await repo.list_events() == newest_first
    assert await repo.list_events(limit=2) == newest_first[:2]
    assert await repo.list_events(user_id="alice") == [e for e in newest_first if e.user_id == "alice"]
    assert await repo.list_events(event_type="login_failed") == [
        e for e in newest_first if e.type == "login_failed"
    ]
    assert await repo.list_events(user_id="bob", event_type="login_succeeded") == [recorded[5]]
    assert await repo.list_events(user_id="carol") == []


@pytest.mark.threat("T-AUD-01")
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
    db: Database, clock: FrozenClock, statement: str
) -> None:
    repo = SqlAuditRepository(db)
    event = records.audit_event(clock.now(), type="login_failed", outcome="failure", details={"ip_count": 1})
    await repo.record(event)

    with pytest.raises(DBAPIError, match="append-only"):
        async with db.write() as conn:
            await conn.execute(text(statement), {"type": "login_failed"})

    assert await repo.list_events() == [event]


@pytest.mark.threat("T-AUD-01")
def test_repository_offers_no_way_to_change_history(repo: AuditRepository) -> None:
    public = {name for name in dir(type(repo)) if not name.startswith("_")}
    assert public == {"record", "list_events"}

"""SQL injection (T-API-06): hostile strings are data, stored and matched literally, never SQL."""

from __future__ import annotations

import pytest

from tests.audit_support import sql_audit_log
from tests.contract import records
from tokenward.adapters.sql import Database, SqlSessionRepository, SqlUserRepository
from tokenward.domain.clock import FrozenClock

pytestmark = pytest.mark.threat("T-API-06")

HOSTILE = [
    "x' OR '1'='1",
    "x'; DROP TABLE users; --",
    'x" OR ""="',
    "x\\' OR 1=1 --",
    "%",
    "_",
]


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_email_is_stored_and_looked_up_literally(
    db: Database, clock: FrozenClock, hostile: str
) -> None:
    users = SqlUserRepository(db)
    bystander = records.user(clock.now(), email="bystander@example.com")
    await users.add(bystander)
    attacker = records.user(clock.now(), email=hostile)
    await users.add(attacker)

    assert await users.get_by_email(hostile) == attacker
    assert await users.get(bystander.id) == bystander
    # the injection payload alone matches nothing (no OR '1'='1, no LIKE wildcard)
    assert await users.get_by_email("' OR '1'='1") is None
    assert await users.get(hostile) is None


async def test_hostile_identifiers_match_nothing(db: Database, clock: FrozenClock) -> None:
    users = SqlUserRepository(db)
    sessions = SqlSessionRepository(db)
    audit = sql_audit_log(db, clock)
    alice = records.user(clock.now())
    await users.add(alice)
    owned = records.session(alice.id, clock.now())
    token = records.refresh_token(owned, clock.now())
    await sessions.create(owned, token)
    await audit.record(records.audit_event(clock.now(), user_id=alice.id))

    payload = "' OR '1'='1"
    assert await sessions.get(payload) is None
    assert await sessions.find_refresh_token(payload) is None
    assert await sessions.list_for_user(payload) == []
    assert await sessions.rotate(payload, records.refresh_token(owned, clock.now()), clock.now()) is False
    assert await sessions.revoke(payload, clock.now(), "admin") is False
    assert await sessions.revoke_all_for_user(payload, clock.now(), "admin") == []
    assert await audit.list_events(user_id=payload) == []
    assert await audit.list_events(event_type=payload) == []

    still = await sessions.get(owned.id)
    assert still is not None
    assert still.active

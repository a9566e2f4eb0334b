"""Units of work on SQL (``Database.atomic``): the repository calls of one task inside a block commit together
or not at all, audit events recorded inside are linked at the end in order, and nothing leaks out of a block:
not a task started inside it, not a failure its caller handled, not a data key of a rolled-back block."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.audit_support import sql_audit_log
from tests.contract import records
from tokenward.adapters.sql import Database, SqlUserRepository
from tokenward.adapters.sql.devices import SqlKnownDeviceRepository
from tokenward.adapters.sql.tables import audit_data_keys, audit_events
from tokenward.adapters.sql.unit_of_work import UnitOfWorkFailed
from tokenward.domain.accounts.users import User
from tokenward.domain.clock import FrozenClock
from tokenward.domain.email.model import Sighting
from tokenward.errors import EmailTaken

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Refused(Exception):
    """What a use case raises to end its block."""


def _user(user_id: str) -> User:
    return User(id=user_id, email=f"{user_id}@example.com", password_hash="x", created_at=NOW, updated_at=NOW)


async def _audit_rows(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(audit_events)) or 0)


@pytest.mark.threat("T-AUD-01", "T-AUD-02")
async def test_a_block_commits_everything_it_wrote_and_its_audit_events_in_order(
    db: Database, clock: FrozenClock
) -> None:
    users, devices, audit = SqlUserRepository(db), SqlKnownDeviceRepository(db), sql_audit_log(db, clock)
    async with db.atomic():
        await users.add(_user("u1"))
        await audit.record(records.audit_event(NOW, type="first", user_id="u1", ip="192.0.2.1"))
        # a read inside the block sees what the block wrote
        assert await users.get("u1") is not None
        assert await devices.remember("u1", "fp", NOW) is Sighting.FIRST
        await audit.record(records.audit_event(NOW, type="second", user_id="u1", ip="192.0.2.1"))
        # the events wait for the end of the block
        assert db.in_unit_of_work()
    assert not db.in_unit_of_work()
    assert await users.get("u1") is not None
    assert await devices.remember("u1", "fp", NOW) is Sighting.KNOWN
    assert [event.type for event in await audit.list_events()] == ["second", "first"]
    report = await audit.verify()
    assert report.ok
    assert report.checked == 2
    # the personal fields were sealed under a key the block created, and open after it
    assert (await audit.list_events())[0].ip == "192.0.2.1"


@pytest.mark.threat("T-AUD-01")
async def test_an_exception_in_a_block_keeps_nothing_it_wrote_or_recorded(
    db: Database, clock: FrozenClock
) -> None:
    users, audit = SqlUserRepository(db), sql_audit_log(db, clock)

    async def refused_use_case() -> None:
        async with db.atomic():
            await users.add(_user("u1"))
            await audit.record(records.audit_event(NOW, type="lost", user_id="u1"))
            raise Refused()

    with pytest.raises(Refused):
        await refused_use_case()
    assert await users.get("u1") is None
    assert await _audit_rows(db) == 0
    assert (await audit.verify()).ok


async def test_a_failure_the_caller_handled_inside_a_block_does_not_commit(db: Database) -> None:
    """On PostgreSQL the failed statement aborted the transaction; on SQLite committing would keep half of
    what the block meant to write. Either way the block refuses to end well."""
    users = SqlUserRepository(db)
    await users.add(_user("u1"))

    async def use_case_that_swallows_a_failure() -> None:
        async with db.atomic():
            await users.add(_user("u2"))
            with pytest.raises(EmailTaken):
                await users.add(replace(_user("u3"), email="u1@example.com"))

    with pytest.raises(UnitOfWorkFailed):
        await use_case_that_swallows_a_failure()
    assert await users.get("u2") is None


async def test_a_block_inside_a_block_joins_it(db: Database) -> None:
    users = SqlUserRepository(db)

    async def nested_use_case() -> None:
        async with db.atomic():
            async with db.atomic():
                await users.add(_user("inner"))
            await users.add(_user("outer"))
            raise Refused()

    with pytest.raises(Refused):
        await nested_use_case()
    assert await users.get("inner") is None
    assert await users.get("outer") is None


async def test_a_task_started_inside_a_block_has_its_own_transaction(db: Database) -> None:
    """It copies the block's context but must not share its connection (two tasks on one connection at once
    fail): it reads in a transaction of its own, which does not see what the block has not committed."""
    users = SqlUserRepository(db)
    async with db.atomic():
        await users.add(_user("in-block"))
        assert await users.get("in-block") is not None
        assert await asyncio.create_task(users.get("in-block")) is None
    assert await asyncio.create_task(users.get("in-block")) is not None


async def test_a_data_key_created_in_a_block_that_rolled_back_is_not_used_again(
    db: Database, clock: FrozenClock
) -> None:
    """The vault must not keep a key from a transaction that never committed: events sealed under it later
    would be stored with a key that is not in the database, and could never be opened."""
    audit = sql_audit_log(db, clock)

    async def refused_use_case() -> None:
        async with db.atomic():
            await audit.record(records.audit_event(NOW, type="lost", user_id="u9", ip="192.0.2.9"))
            await audit.record(records.audit_event(NOW, type="lost", user_id="u9", ip="192.0.2.9"))
            raise Refused()

    with pytest.raises(Refused):
        await refused_use_case()
    await audit.record(records.audit_event(NOW, type="kept", user_id="u9", ip="192.0.2.9"))
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(audit_data_keys)) == 1
    [kept] = await audit.list_events()
    assert kept.ip == "192.0.2.9"


@pytest.mark.threat("T-AUD-02")
async def test_concurrent_blocks_and_lone_events_form_one_chain(db: Database, clock: FrozenClock) -> None:
    audit = sql_audit_log(db, clock)

    async def block(n: int) -> None:
        async with db.atomic():
            for k in range(3):
                await audit.record(records.audit_event(NOW, type=f"block-{n}-{k}", user_id=f"u{n}"))

    async def lone(n: int) -> None:
        await audit.record(records.audit_event(NOW, type=f"lone-{n}", user_id=f"u{n}"))

    await asyncio.gather(*(block(n) for n in range(6)), *(lone(n) for n in range(6)))
    report = await audit.verify()
    assert report.ok
    assert report.checked == 24
    types = [event.type for event in reversed(await audit.list_events(limit=100))]
    # each block's events are adjacent and in the order recorded
    for n in range(6):
        first = types.index(f"block-{n}-0")
        assert types[first : first + 3] == [f"block-{n}-0", f"block-{n}-1", f"block-{n}-2"]

"""The deny-list's durable record in SQL, and the fast copies' fill marker (memory and Redis)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tokenward.adapters.memory import MemoryDenyList
from tokenward.adapters.redis import RedisDenyList, create_redis_client
from tokenward.adapters.sql import Database
from tokenward.adapters.sql.revocations import SqlDenyRecord
from tokenward.domain.cleanup import CleanupPolicy
from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.durable_denylist import SESSION, TOKEN, DenyCopy, DenyEntry


def _id() -> str:
    return secrets.token_hex(8)


@pytest.fixture
def record(db: Database) -> SqlDenyRecord:
    return SqlDenyRecord(db)


async def test_the_record_denies_sessions_and_tokens_until_their_end(
    record: SqlDenyRecord, clock: FrozenClock
) -> None:
    session, jti = _id(), _id()
    await record.add(DenyEntry(SESSION, session, clock.now() + timedelta(seconds=60)))
    await record.add(DenyEntry(TOKEN, jti, clock.now() + timedelta(seconds=120)))

    assert await record.is_denied(session, "other", clock.now()) is True
    assert await record.is_denied("other", jti, clock.now()) is True
    assert await record.is_denied(jti, session, clock.now()) is False  # kinds do not mix
    later = clock.now() + timedelta(seconds=60)
    assert await record.is_denied(session, "other", later) is False
    assert await record.is_denied("other", jti, later) is True


async def test_writing_an_entry_again_keeps_the_later_end(record: SqlDenyRecord, clock: FrozenClock) -> None:
    jti = _id()
    await record.add(DenyEntry(TOKEN, jti, clock.now() + timedelta(seconds=300)))
    await record.add(DenyEntry(TOKEN, jti, clock.now() + timedelta(seconds=30)))
    await record.add(DenyEntry(TOKEN, jti, clock.now() + timedelta(seconds=100)))

    mine = [entry for entry in await record.in_force(clock.now()) if entry.key == jti]
    assert mine == [DenyEntry(TOKEN, jti, clock.now() + timedelta(seconds=300))]


async def test_clean_up_deletes_ended_entries_only(record: SqlDenyRecord, clock: FrozenClock) -> None:
    ended, live = _id(), _id()
    await record.add(DenyEntry(TOKEN, ended, clock.now() + timedelta(seconds=10)))
    await record.add(DenyEntry(TOKEN, live, clock.now() + timedelta(seconds=100)))
    later = clock.now() + timedelta(seconds=10)

    assert await record.delete_expired(later, CleanupPolicy(session_idle_ttl=timedelta(days=1))) >= 1
    keys = {entry.key for entry in await record.in_force(clock.now())}
    assert ended not in keys
    assert live in keys


COPIES = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=COPIES)
async def copy(request: pytest.FixtureRequest, clock: FrozenClock) -> AsyncIterator[DenyCopy]:
    if request.param == "memory":
        yield MemoryDenyList(clock)
        return
    client = create_redis_client(request.getfixturevalue("redis_url"))
    prefix = f"tokenward-test:{secrets.token_hex(6)}:"
    try:
        yield RedisDenyList(client, clock, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_copy_says_it_does_not_know_until_it_is_filled(copy: DenyCopy, clock: FrozenClock) -> None:
    until = clock.now() + timedelta(minutes=5)
    await copy.add([DenyEntry(TOKEN, "jti-1", until)])
    assert await copy.lookup("s", "jti-1") is None

    await copy.fill([DenyEntry(SESSION, "s-1", until)])
    assert await copy.lookup("s-1", "x") is True
    assert await copy.lookup("s", "jti-1") is True
    assert await copy.lookup("s", "x") is False


@pytest.mark.redis
async def test_a_flushed_redis_copy_says_so(redis_url: str, clock: FrozenClock) -> None:
    client = create_redis_client(redis_url)
    prefix = f"tokenward-test:{secrets.token_hex(6)}:"
    copy = RedisDenyList(client, clock, prefix=prefix)
    try:
        await copy.fill([DenyEntry(TOKEN, "jti-1", clock.now() + timedelta(minutes=5))])
        assert await copy.lookup("s", "jti-1") is True
        await client.delete(*[key async for key in client.scan_iter(match=prefix + "*")])  # a flush
        assert await copy.lookup("s", "jti-1") is None
    finally:
        await client.aclose()


async def test_a_memory_copy_that_dropped_entries_is_no_longer_complete(clock: FrozenClock) -> None:
    copy = MemoryDenyList(clock, max_entries=2)
    until = clock.now() + timedelta(minutes=5)
    await copy.fill([DenyEntry(TOKEN, "a", until), DenyEntry(TOKEN, "b", until)])
    assert await copy.lookup("s", "a") is True
    await copy.add([DenyEntry(TOKEN, "c", until + timedelta(seconds=1))])
    assert await copy.lookup("s", "a") is None

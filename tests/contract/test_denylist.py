"""One deny-list contract, run on the fake, the in-process adapter and Redis (a unique prefix per test)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from tests.fakes import FakeDenyList
from tokenward.adapters.memory import MemoryDenyList
from tokenward.adapters.redis import RedisDenyList, create_redis_client
from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.denylist import DenyPolicy, Revocations
from tokenward.domain.sessions.ports import DenyList

BACKENDS = ["fake", "memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = create_redis_client(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(params=BACKENDS)
async def deny_list(request: pytest.FixtureRequest, clock: FrozenClock) -> AsyncIterator[DenyList]:
    if request.param == "fake":
        yield FakeDenyList(clock)
        return
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


@pytest.mark.threat("T-LIF-02")
async def test_a_denied_session_is_denied_whatever_the_token(deny_list: DenyList, clock: FrozenClock) -> None:
    await deny_list.deny_session("session-a", clock.now() + timedelta(minutes=10))

    assert await deny_list.is_denied("session-a", "any-jti") is True
    assert await deny_list.is_denied("session-b", "any-jti") is False


async def test_a_denied_token_is_denied_in_any_session(deny_list: DenyList, clock: FrozenClock) -> None:
    await deny_list.deny_token("jti-1", clock.now() + timedelta(minutes=10))

    assert await deny_list.is_denied("session-a", "jti-1") is True
    assert await deny_list.is_denied("session-a", "jti-2") is False


async def test_sessions_and_tokens_do_not_collide(deny_list: DenyList, clock: FrozenClock) -> None:
    """A jti equal to a denied session id (or the reverse) is not denied by it."""
    await deny_list.deny_session("same-value", clock.now() + timedelta(minutes=10))

    assert await deny_list.is_denied("other", "same-value") is False


async def test_an_entry_already_in_the_past_is_not_stored(deny_list: DenyList, clock: FrozenClock) -> None:
    await deny_list.deny_session("session-a", clock.now() - timedelta(seconds=1))

    assert await deny_list.is_denied("session-a", "jti") is False


async def test_memory_entries_expire_with_the_clock(clock: FrozenClock) -> None:
    deny_list = MemoryDenyList(clock)
    await deny_list.deny_session("session-a", clock.now() + timedelta(seconds=60))
    clock.advance(59)
    assert await deny_list.is_denied("session-a", "jti") is True
    clock.advance(1)
    assert await deny_list.is_denied("session-a", "jti") is False
    assert len(deny_list) == 0


async def test_memory_is_bounded_and_keeps_the_longest_lived_entries(clock: FrozenClock) -> None:
    deny_list = MemoryDenyList(clock, max_entries=3)
    for seconds in (10, 40, 20, 30):
        await deny_list.deny_session(f"s{seconds}", clock.now() + timedelta(seconds=seconds))

    assert len(deny_list) == 3
    assert await deny_list.is_denied("s10", "jti") is False
    assert all([await deny_list.is_denied(f"s{s}", "jti") for s in (20, 30, 40)])


@pytest.mark.redis
async def test_redis_entries_expire_exactly_when_they_stop_mattering(
    redis_client: Redis, clock: FrozenClock
) -> None:
    prefix = f"tokenward-test:{secrets.token_hex(6)}:"
    deny_list = RedisDenyList(redis_client, clock, prefix=prefix)
    await deny_list.deny_session("session-a", clock.now() + timedelta(seconds=630))
    try:
        ttl = await redis_client.pttl(prefix + "s:session-a")
        assert 629_000 < ttl <= 630_000
    finally:
        await redis_client.delete(prefix + "s:session-a")


@pytest.mark.redis
@pytest.mark.threat("T-LIF-02")
async def test_redis_is_shared_between_processes(
    redis_client: Redis, redis_url: str, clock: FrozenClock
) -> None:
    """Two clients (two processes) on one Redis: a denial written by one is seen by the other at once."""
    prefix = f"tokenward-test:{secrets.token_hex(6)}:"
    other_client = create_redis_client(redis_url)
    try:
        await RedisDenyList(redis_client, clock, prefix=prefix).deny_session(
            "s", clock.now() + timedelta(minutes=1)
        )
        assert await RedisDenyList(other_client, clock, prefix=prefix).is_denied("s", "jti") is True
    finally:
        await other_client.aclose()
        await redis_client.delete(prefix + "s:s")


@pytest.mark.threat("T-LIF-02")
async def test_revocations_keep_a_session_for_one_access_token_lifetime_plus_leeway(
    clock: FrozenClock,
) -> None:
    deny_list = MemoryDenyList(clock)
    revocations = Revocations(
        deny_list,
        DenyPolicy(access_token_lifetime=timedelta(minutes=10), leeway=timedelta(seconds=30)),
        clock,
    )
    await revocations.sessions_revoked(["s1", "s2"])
    clock.advance(629)
    assert await revocations.is_denied("s2", "jti") is True
    clock.advance(1)
    assert await revocations.is_denied("s1", "jti") is False


async def test_revocations_keep_a_token_until_its_own_expiry_plus_leeway(clock: FrozenClock) -> None:
    deny_list = MemoryDenyList(clock)
    revocations = Revocations(
        deny_list,
        DenyPolicy(access_token_lifetime=timedelta(minutes=10), leeway=timedelta(seconds=30)),
        clock,
    )
    await revocations.token_revoked("jti-1", clock.now() + timedelta(seconds=100))
    await revocations.token_revoked("jti-expired", clock.now() - timedelta(seconds=31))

    assert len(deny_list) == 1
    clock.advance(129)
    assert await revocations.is_denied("s", "jti-1") is True
    clock.advance(1)
    assert await revocations.is_denied("s", "jti-1") is False

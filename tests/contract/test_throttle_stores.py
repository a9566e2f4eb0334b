"""One contract for the rate limiter and the distinct counter: the fakes, process memory and Redis.

The same tests run on every store: counting, refusing, peeking without counting, resetting, windows sliding
on a frozen clock, and atomicity under 50 concurrent acquires.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from tests.fakes import FakeDistinctCounter, FakeRateLimiter
from tests.limits_time import run_limits_on
from tokenward.adapters.distinct_counters import MemoryDistinctCounter, RedisDistinctCounter
from tokenward.adapters.rate_limits import LimitsRateLimiter, memory_storage, redis_storage
from tokenward.domain.abuse.model import Rate
from tokenward.domain.abuse.ports import DistinctCounter, RateLimiter
from tokenward.domain.clock import FrozenClock


@dataclass
class Stores:
    limiter: RateLimiter
    distinct: DistinctCounter
    clock: FrozenClock


@pytest.fixture(params=["fake", "memory", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stores]:
    clock = FrozenClock()
    if request.param == "fake":
        yield Stores(FakeRateLimiter(clock), FakeDistinctCounter(clock), clock)
        return
    run_limits_on(clock, monkeypatch)

    def now() -> float:
        return clock.now().timestamp()

    if request.param == "memory":
        yield Stores(LimitsRateLimiter(memory_storage(), now=now), MemoryDistinctCounter(now=now), clock)
        return
    url: str = request.getfixturevalue("redis_url")
    prefix = f"tw-test-{secrets.token_hex(6)}"
    client = Redis.from_url(url)
    try:
        yield Stores(
            LimitsRateLimiter(redis_storage(client, key_prefix=prefix), now=now),
            RedisDistinctCounter(client, prefix=f"{prefix}:distinct:", now=now),
            clock,
        )
    finally:
        keys = [key async for key in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_acquire_counts_until_the_limit_then_refuses_with_retry_after(stores: Stores) -> None:
    rate = Rate(3, 60)
    decisions = [await stores.limiter.acquire(rate, "k") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert decisions[3].retry_after == 60
    assert decisions[0].retry_after == 0


async def test_keys_are_independent(stores: Stores) -> None:
    rate = Rate(1, 60)
    assert (await stores.limiter.acquire(rate, "a")).allowed
    assert (await stores.limiter.acquire(rate, "b")).allowed
    assert not (await stores.limiter.acquire(rate, "a")).allowed


async def test_peek_does_not_count(stores: Stores) -> None:
    rate = Rate(2, 60)
    for _ in range(5):
        assert (await stores.limiter.peek(rate, "k")).allowed
    await stores.limiter.acquire(rate, "k")
    await stores.limiter.acquire(rate, "k")
    assert not (await stores.limiter.peek(rate, "k")).allowed


async def test_reset_clears_the_window(stores: Stores) -> None:
    rate = Rate(1, 3600)
    await stores.limiter.acquire(rate, "k")
    assert not (await stores.limiter.acquire(rate, "k")).allowed
    await stores.limiter.reset(rate, "k")
    assert (await stores.limiter.acquire(rate, "k")).allowed


async def test_the_window_slides_on_the_clock(stores: Stores) -> None:
    rate = Rate(2, 60)
    await stores.limiter.acquire(rate, "k")
    stores.clock.advance(30)
    await stores.limiter.acquire(rate, "k")
    refused = await stores.limiter.acquire(rate, "k")
    assert not refused.allowed
    assert refused.retry_after == 30
    stores.clock.advance(31)
    assert (await stores.limiter.acquire(rate, "k")).allowed
    assert not (await stores.limiter.acquire(rate, "k")).allowed


@pytest.mark.threat("T-ABU-02")
async def test_fifty_concurrent_acquires_let_exactly_the_limit_through(stores: Stores) -> None:
    """Attack: race many attempts at once so that they all pass the check before any is counted."""
    rate = Rate(5, 3600)
    decisions = await asyncio.gather(*(stores.limiter.acquire(rate, "race") for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 5


async def test_distinct_counter_counts_members_once_within_the_window(stores: Stores) -> None:
    counts = [await stores.distinct.add("ip", member, 600) for member in ("a", "b", "a", "c", "b")]
    assert counts == [1, 2, 2, 3, 3]
    stores.clock.advance(601)
    assert await stores.distinct.add("ip", "d", 600) == 1
    assert await stores.distinct.add("other", "a", 600) == 1

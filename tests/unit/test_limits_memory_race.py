"""The in-memory rate-limit storage never leaves an unretrieved task exception behind (issue 16, item 4).

``limits``' expiry task snapshots the keys, then waits for each key's lock before reading the key's events.
A successful sign-in clears its account's counters; if that happens while the task waits, the library's own
storage loses the key under the task's feet and the task dies with a ``KeyError`` that nothing awaits
("Task exception was never retrieved"). The test holds the key's lock so the task is caught waiting, clears
the key, lets the task run and looks at how it ended.
"""

from __future__ import annotations

import asyncio

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from tokenward.adapters.rate_limits import SafeMemoryStorage, memory_storage

ITEM = RateLimitItemPerMinute(5)


async def _expiry_round_done(storage: MemoryStorage) -> None:
    if storage.timer is not None:
        await storage.timer


async def _expiry_task_after_a_clear_while_it_waits(storage: MemoryStorage) -> asyncio.Task[None]:
    limiter = MovingWindowRateLimiter(storage)
    await limiter.hit(ITEM, "account")
    await _expiry_round_done(storage)  # so that the next hit schedules a fresh one
    key = ITEM.key_for("account")
    lock = storage.locks[key]
    await lock.acquire()
    await limiter.hit(ITEM, "other")
    timer = storage.timer
    assert timer is not None
    for _ in range(5):  # let the task start and block on the held lock
        await asyncio.sleep(0)
    clearing = asyncio.create_task(limiter.clear(ITEM, "account"))
    for _ in range(5):  # the library's clear runs at once; Tokenward's waits for the key's lock
        await asyncio.sleep(0)
    lock.release()
    await asyncio.wait_for(asyncio.wait([timer, clearing]), timeout=5)
    return timer


async def test_the_library_storage_loses_the_race() -> None:
    """The reproduction: without the fix the expiry task ends in KeyError (so the fix has something to fix)."""
    timer = await _expiry_task_after_a_clear_while_it_waits(MemoryStorage())
    assert isinstance(timer.exception(), KeyError)


async def test_the_storage_tokenward_uses_does_not() -> None:
    storage = memory_storage()
    assert isinstance(storage, SafeMemoryStorage)
    timer = await _expiry_task_after_a_clear_while_it_waits(storage)
    assert timer.exception() is None


async def test_a_cleared_key_is_empty_and_counts_again_from_zero() -> None:
    storage = memory_storage()
    limiter = MovingWindowRateLimiter(storage)
    for _ in range(5):
        assert await limiter.hit(ITEM, "account")
    assert not await limiter.hit(ITEM, "account")
    await limiter.clear(ITEM, "account")
    stats = await limiter.get_window_stats(ITEM, "account")
    assert stats.remaining == 5
    assert await limiter.hit(ITEM, "account")


async def test_the_expiry_task_drops_the_emptied_key() -> None:
    storage = memory_storage()
    limiter = MovingWindowRateLimiter(storage)
    await limiter.hit(ITEM, "account")
    await _expiry_round_done(storage)
    await limiter.clear(ITEM, "account")
    assert storage.events[ITEM.key_for("account")] == []
    await limiter.hit(ITEM, "other")  # schedules an expiry round
    await _expiry_round_done(storage)
    assert ITEM.key_for("account") not in storage.events

"""The ``RateLimiter`` port on the ``limits`` library: moving windows in process memory or in Redis.

The moving-window strategy is exact (no burst at window edges) and its Redis implementation is one Lua script
per acquire, so concurrent requests from any number of processes are counted atomically. The Redis storage
runs on the process's one Redis client (its pool, its time-outs, its retry, a Sentinel-managed primary), and
a storage failure is a ``DependencyUnavailable`` reported to the health tracker like any other Redis failure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from tokenward.adapters.health import DependencyHealth
from tokenward.adapters.redis.client import redis_answers
from tokenward.domain.abuse.model import Decision, Rate

_NAMESPACE = "tokenward"


class SafeMemoryStorage(MemoryStorage):
    """``limits``' memory storage without its race between ``clear`` and the expiry task.

    The library's background expiry task takes a snapshot of the keys, then, for each, waits for the key's
    lock and reads ``events[key]``. A ``clear`` in between (a successful sign-in clears its account's
    counters) removes the key, and the task dies with a ``KeyError`` that nobody awaits: "Task exception was
    never retrieved" in the log, and the rest of that expiry round skipped. Here ``clear`` empties the key's
    list instead of removing it (under the key's lock, which it keeps), and the expiry task removes the empty
    list itself, as it does for any list whose entries have all expired.
    """

    async def clear(self, key: str) -> None:
        async with self.locks[key]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            if key in self.events:
                self.events[key] = []


def memory_storage() -> MemoryStorage:
    return SafeMemoryStorage()


def redis_storage(client: Redis, *, key_prefix: str = "tokenward-limits") -> RedisStorage:
    """``limits``' Redis storage on the process's one Redis client (its connection pool): the same time-outs,
    retry and Sentinel-managed primary, and its connections close with it. The URL only names the kind of
    storage; the pool decides where it connects."""
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        connection_pool=client.connection_pool,  # type: ignore[arg-type]
    )


class LimitsRateLimiter:
    def __init__(
        self,
        storage: Storage,
        *,
        now: Callable[[], float] = time.time,
        health: DependencyHealth | None = None,
    ) -> None:
        self._storage = storage
        self._health = health
        self._strategy = MovingWindowRateLimiter(storage)
        self._now = now
        self._items: dict[Rate, RateLimitItem] = {}

    def _item(self, rate: Rate) -> RateLimitItem:
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = RateLimitItemPerSecond(rate.amount, rate.seconds, namespace=_NAMESPACE)
        return item

    async def acquire(self, rate: Rate, key: str) -> Decision:
        item = self._item(rate)
        async with self._answering():
            allowed = await self._strategy.hit(item, key)
            return await self._decision(rate, item, key, allowed)

    async def peek(self, rate: Rate, key: str) -> Decision:
        item = self._item(rate)
        async with self._answering():
            stats = await self._strategy.get_window_stats(item, key)
        return self._from_stats(rate, stats.remaining, stats.reset_time, allowed=stats.remaining > 0)

    async def reset(self, rate: Rate, key: str) -> None:
        async with self._answering():
            await self._strategy.clear(self._item(rate), key)

    def _answering(self) -> AbstractAsyncContextManager[None]:
        """Fail closed when the shared counter store does not answer (see ``redis_answers``); memory always
        answers."""
        return redis_answers(self._health)

    async def _decision(self, rate: Rate, item: RateLimitItem, key: str, allowed: bool) -> Decision:
        stats = await self._strategy.get_window_stats(item, key)
        return self._from_stats(rate, stats.remaining, stats.reset_time, allowed=allowed)

    def _from_stats(self, rate: Rate, remaining: int, reset_time: float, *, allowed: bool) -> Decision:
        reset_after = max(0, math.ceil(reset_time - self._now()))
        retry_after = 0 if allowed else max(1, reset_after)
        return Decision(
            allowed=allowed,
            remaining=max(remaining, 0),
            retry_after=retry_after,
            rate=rate,
            reset_after=reset_after,
        )

"""The ``RateLimiter`` port on the ``limits`` library: moving windows in process memory or in Redis.

The moving-window strategy is exact (no burst at window edges) and its Redis implementation is one Lua script
per acquire, so concurrent requests from any number of processes are counted atomically.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis

from tokenward.domain.abuse.model import Decision, Rate
from tokenward.errors import DependencyUnavailable

_NAMESPACE = "tokenward"


def memory_storage() -> MemoryStorage:
    return MemoryStorage()


def redis_storage(redis_url: str, client: Redis, *, key_prefix: str = "tokenward-limits") -> RedisStorage:
    """``limits``' Redis storage on the process's one Redis client, so its connections close with it."""
    scheme, _, rest = redis_url.partition("://")
    return RedisStorage(
        f"async+{scheme}://{rest}",
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        connection_pool=client.connection_pool,  # type: ignore[arg-type]
    )


@asynccontextmanager
async def _storage_answers() -> AsyncIterator[None]:
    """Fail closed when the shared counter store does not answer (see ``redis_answers``)."""
    try:
        yield
    except StorageError as exc:
        raise DependencyUnavailable("the rate-limit store") from exc


class LimitsRateLimiter:
    def __init__(self, storage: Storage, *, now: Callable[[], float] = time.time) -> None:
        self._storage = storage
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
        async with _storage_answers():
            allowed = await self._strategy.hit(item, key)
            return await self._decision(rate, item, key, allowed)

    async def peek(self, rate: Rate, key: str) -> Decision:
        item = self._item(rate)
        async with _storage_answers():
            stats = await self._strategy.get_window_stats(item, key)
        return self._from_stats(rate, stats.remaining, stats.reset_time, allowed=stats.remaining > 0)

    async def reset(self, rate: Rate, key: str) -> None:
        async with _storage_answers():
            await self._strategy.clear(self._item(rate), key)

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

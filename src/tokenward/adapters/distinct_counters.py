"""The ``DistinctCounter`` port: how many different members a key saw in a sliding window.

Used to spot one address failing on many different accounts. Members are already hashes (the throttle never
passes e-mail addresses). In Redis a sorted set per key holds member -> last-seen time; one MULTI/EXEC
pipeline adds, prunes, counts and sets the expiry, so concurrent processes see one consistent count.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from redis.asyncio import Redis

from tokenward.adapters.redis.client import redis_answers


class MemoryDistinctCounter:
    """In-process, bounded: at most ``max_keys`` keys and ``max_members`` members per key are tracked."""

    def __init__(
        self, *, now: Callable[[], float] = time.time, max_keys: int = 100_000, max_members: int = 10_000
    ) -> None:
        self._now = now
        self._max_keys = max_keys
        self._max_members = max_members
        self._keys: OrderedDict[str, dict[str, float]] = OrderedDict()

    async def add(self, key: str, member: str, window_seconds: int) -> int:
        now = self._now()
        members = self._keys.pop(key, None) or {}
        cutoff = now - window_seconds
        members = {m: seen for m, seen in members.items() if seen > cutoff}
        members[member] = now
        if len(members) > self._max_members:
            oldest = sorted(members, key=members.__getitem__)[: len(members) - self._max_members]
            for name in oldest:
                del members[name]
        self._keys[key] = members
        while len(self._keys) > self._max_keys:
            self._keys.popitem(last=False)
        return len(members)


class RedisDistinctCounter:
    def __init__(
        self, redis: Redis, *, prefix: str = "tokenward:distinct:", now: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._now = now

    async def add(self, key: str, member: str, window_seconds: int) -> int:
        now = self._now()
        name = self._prefix + key
        async with redis_answers(), self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {member: now})
            pipe.zremrangebyscore(name, "-inf", now - window_seconds)
            pipe.zcard(name)
            pipe.expire(name, window_seconds + 1)
            results = await pipe.execute()
        count: int = results[2]
        return count

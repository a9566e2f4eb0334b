"""Abuse protection: the rate limiter and the distinct counter, both on the test's clock."""

from __future__ import annotations

import math

from tokenward.domain.abuse.model import Decision, Rate
from tokenward.domain.clock import Clock


class FakeRateLimiter:
    """A moving window per (rate, key) on the test's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._hits: dict[tuple[Rate, str], list[float]] = {}

    async def acquire(self, rate: Rate, key: str) -> Decision:
        hits = self._window(rate, key)
        allowed = len(hits) < rate.amount
        if allowed:
            hits.append(self._now())
        return self._decision(rate, hits, allowed=allowed)

    async def peek(self, rate: Rate, key: str) -> Decision:
        hits = self._window(rate, key)
        return self._decision(rate, hits, allowed=len(hits) < rate.amount)

    async def reset(self, rate: Rate, key: str) -> None:
        self._hits.pop((rate, key), None)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _window(self, rate: Rate, key: str) -> list[float]:
        start = self._now() - rate.seconds
        hits = self._hits[(rate, key)] = [t for t in self._hits.get((rate, key), []) if t > start]
        return hits

    def _decision(self, rate: Rate, hits: list[float], *, allowed: bool) -> Decision:
        reset_after = max(0, math.ceil(hits[0] + rate.seconds - self._now())) if hits else 0
        return Decision(
            allowed=allowed,
            remaining=max(rate.amount - len(hits), 0),
            retry_after=0 if allowed else max(1, reset_after),
            rate=rate,
            reset_after=reset_after,
        )


class FakeDistinctCounter:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._seen: dict[str, dict[str, float]] = {}

    async def add(self, key: str, member: str, window_seconds: int) -> int:
        now = self._clock.now().timestamp()
        members = {m: t for m, t in self._seen.get(key, {}).items() if t > now - window_seconds}
        members[member] = now
        self._seen[key] = members
        return len(members)

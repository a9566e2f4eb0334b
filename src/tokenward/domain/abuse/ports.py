"""The ports the abuse package needs: shared counters and a place to report refusals.

- ``RateLimiter`` and ``DistinctCounter``: sliding-window counters, in process or in Redis
  (``adapters/rate_limits.py``, ``adapters/distinct_counters.py``), so every process counts against one limit;
- ``ThrottleMetrics``: counts refusals for the metrics endpoint (``adapters/metrics.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.abuse.model import Decision, Rate


class RateLimiter(Protocol):
    async def acquire(self, rate: Rate, key: str) -> Decision:
        """Count one event under ``key`` if the window has room; atomic across processes sharing the store."""
        ...

    async def peek(self, rate: Rate, key: str) -> Decision:
        """The state of the window without counting anything."""
        ...

    async def reset(self, rate: Rate, key: str) -> None: ...


class DistinctCounter(Protocol):
    async def add(self, key: str, member: str, window_seconds: int) -> int:
        """Record ``member`` under ``key``; return how many distinct members were seen in the last window."""
        ...


class ThrottleMetrics(Protocol):
    def rejected(self, layer: str, policy: str) -> None: ...

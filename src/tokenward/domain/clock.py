"""Time as an injected dependency, so tests freeze it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# one clock protocol for the server and the resource-server library it shares the verifier with
from tokenward_client.clock import Clock as Clock
from tokenward_client.clock import SystemClock as SystemClock


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._now = when

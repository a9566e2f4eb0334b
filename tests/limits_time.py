"""Run the ``limits`` library's windows on a test's frozen clock instead of the wall clock.

``limits`` reads ``time.time()`` inside its storage modules; tests replace that module reference (only there)
with one that reads the frozen clock, so a back-off can be shown to end by advancing the clock, not by sleeping.
"""

from __future__ import annotations

import limits.aio.storage.memory as limits_memory
import limits.aio.storage.redis.redispy as limits_redispy
import pytest

from tokenward.domain.clock import FrozenClock


class _ClockTime:
    def __init__(self, clock: FrozenClock) -> None:
        self._clock = clock

    def time(self) -> float:
        return self._clock.now().timestamp()


def run_limits_on(clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (limits_memory, limits_redispy):
        monkeypatch.setattr(module, "time", _ClockTime(clock))

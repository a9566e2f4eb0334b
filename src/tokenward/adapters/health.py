"""Whether each dependency (database, Redis, mailer) answers, told to the log once per change.

During an outage every request fails the same way. Logging each failure with its traceback buries the one
line that matters under tens of thousands of copies. So the tracker writes:

- one ``dependency_down`` line (with the cause) when a dependency that answered stops answering;
- one ``dependency_up`` line (with how long it was down and how many failures that cost) when it answers
  again;
- a traceback at most once per minute for each distinct error (same dependency, same exception type, same
  message), so the first occurrence is always there to read and a flood is not.

Adapters report every failure (``failed``) and success (``succeeded``); a success while the dependency is up
costs one dictionary look-up. Time comes from an injected ``now`` (monotonic seconds), so tests move it by hand.
One tracker serves the whole process (``process_health``): a process has one database and one Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tokenward.adapters.logging import get_logger
from tokenward.errors import describe_error

#: the least time between two tracebacks of the same error
TRACEBACK_INTERVAL_SECONDS = 60.0


@dataclass(slots=True)
class _Outage:
    since: float
    cause: str
    failures: int = 0


class TracebackLimiter:
    """Decides whether this occurrence of an error may carry its traceback (once per interval per error)."""

    def __init__(self, now: Callable[[], float], interval: float = TRACEBACK_INTERVAL_SECONDS) -> None:
        self._now = now
        self._interval = interval
        self._last: dict[tuple[str, str, str], float] = {}

    def allow(self, scope: str, error: BaseException) -> bool:
        key = (scope, type(error).__qualname__, describe_error(error))
        now = self._now()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        if len(self._last) > 1000:  # distinct messages are few; never let them grow memory without bound
            self._last.clear()
        self._last[key] = now
        return True


class DependencyHealth:
    def __init__(
        self,
        *,
        now: Callable[[], float] = time.monotonic,
        logger: Any = None,
        traceback_interval: float = TRACEBACK_INTERVAL_SECONDS,
    ) -> None:
        self._now = now
        self._log = logger if logger is not None else get_logger("tokenward.dependencies")
        self._outages: dict[str, _Outage] = {}
        self.tracebacks = TracebackLimiter(now, traceback_interval)

    def is_down(self, dependency: str) -> bool:
        return dependency in self._outages

    def failed(self, dependency: str, error: BaseException) -> None:
        """``dependency`` did not answer: log it if it was up, and the traceback if it is due."""
        outage = self._outages.get(dependency)
        if outage is None:
            outage = self._outages[dependency] = _Outage(since=self._now(), cause=describe_error(error))
            self._log.warning("dependency_down", dependency=dependency, cause=outage.cause)
        outage.failures += 1
        if self.tracebacks.allow(dependency, error):
            self._log.error(
                "dependency_error", dependency=dependency, cause=describe_error(error), exc_info=error
            )

    def succeeded(self, dependency: str) -> None:
        """``dependency`` answered: if it was down, say that it is back."""
        if not self._outages:
            return
        outage = self._outages.pop(dependency, None)
        if outage is not None:
            self._log.warning(
                "dependency_up",
                dependency=dependency,
                down_seconds=round(self._now() - outage.since, 3),
                failures=outage.failures,
                cause=outage.cause,
            )


_PROCESS_HEALTH = DependencyHealth()


def process_health() -> DependencyHealth:
    """The tracker every adapter of this process reports to, unless a test gives its own."""
    return _PROCESS_HEALTH

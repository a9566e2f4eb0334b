"""Rates and decisions: what a limit is and what counting against it answered."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``amount`` events per sliding window of ``seconds``."""

    amount: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.amount}/{self.seconds}s"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    #: events left in the window after this one
    remaining: int
    #: seconds until an event is allowed again (0 when allowed)
    retry_after: int
    rate: Rate
    #: seconds until the window has its full quota again (for the ``RateLimit`` header's ``t``)
    reset_after: int = 0

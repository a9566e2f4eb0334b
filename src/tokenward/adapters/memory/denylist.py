"""``DenyList`` in process memory: right for one process, invisible to every other (use Redis for several).

Entries are pruned as they expire; the dictionary is bounded so a flood of revocations cannot grow memory
without limit. When full, the entries closest to expiry go first: they protect the least.

As the fast copy of the durable deny-list (``domain.sessions.durable_denylist``) it is filled from the
database at start-up, so revocations survive a restart; once it has had to drop an entry it no longer holds
everything, and ``lookup`` says so (``None``) until the next fill, so the database answers meanwhile.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime

from tokenward.domain.clock import Clock
from tokenward.domain.sessions.durable_denylist import SESSION, DenyEntry

DEFAULT_MAX_ENTRIES = 100_000


class MemoryDenyList:
    #: only this process's revocations (and what was filled in) are here, not other processes' later ones
    shared = False

    @property
    def complete(self) -> bool:
        """Used alone as the deny-list (without the durable record): complete when shared."""
        return self.shared

    def __init__(self, clock: Clock, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._clock = clock
        self._max_entries = max_entries
        self._until: dict[str, datetime] = {}
        #: filled from the record and complete since (no entry dropped for room)
        self._complete = False

    def __len__(self) -> int:
        self._prune()
        return len(self._until)

    async def deny_session(self, session_id: str, until: datetime) -> None:
        self._add("s:" + session_id, until)

    async def deny_token(self, jti: str, until: datetime) -> None:
        self._add("t:" + jti, until)

    async def add(self, entries: Sequence[DenyEntry]) -> None:
        for entry in entries:
            self._add(("s:" if entry.kind == SESSION else "t:") + entry.key, entry.until)

    async def fill(self, entries: Sequence[DenyEntry]) -> None:
        self._complete = True
        await self.add(entries)

    async def lookup(self, session_id: str, jti: str) -> bool | None:
        denied = await self.is_denied(session_id, jti)
        return denied if self._complete else None

    async def is_denied(self, session_id: str, jti: str) -> bool:
        now = self._clock.now()
        return any(
            (until := self._until.get(key)) is not None and until > now
            for key in ("s:" + session_id, "t:" + jti)
        )

    def _add(self, key: str, until: datetime) -> None:
        if until <= self._clock.now():
            return
        self._until[key] = max(until, self._until.get(key, until))
        if len(self._until) > self._max_entries:
            self._prune()
            excess = len(self._until) - self._max_entries
            if excess > 0:
                self._complete = False
                for stale in heapq.nsmallest(excess, self._until, key=self._until.__getitem__):
                    del self._until[stale]

    def _prune(self) -> None:
        now = self._clock.now()
        for key in [key for key, until in self._until.items() if until <= now]:
            del self._until[key]

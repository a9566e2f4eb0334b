"""Revocations that outlive their fast store: the database keeps the record, Redis (or memory) a copy.

An access token revoked by ``jti`` was accepted again once Redis restarted empty, because the revocation
existed only in Redis. So every entry is written twice:

1. to the record (``DenyRecord``, a table in the database) first: a revocation that could not be recorded
   fails (503) instead of being answered as done;
2. then to the copy (``DenyCopy``: Redis, shared by every process, or this process's memory), which answers
   the look-up every authenticated request makes, in one round trip.

The copy is trusted only while this process knows it to be complete:

- at start-up, and after any failure of the copy (a write that did not reach it, a look-up that did not
  answer), this process stops trusting it: writes it missed are in the record only;
- a copy that lost its data (Redis restarted empty, or was flushed) says so: ``lookup`` answers ``None``
  when the marker written at the end of every fill is missing;
- while the copy is not trusted, look-ups ask the record, and at most once per ``refill_interval`` a request
  refills the copy from the record (every entry still in force, then the marker) and trusts it again,
  unless the copy failed once more in the meantime.

So a Redis outage costs one extra database read per authenticated request while it lasts, and nothing once
Redis is back and refilled. Entries in the record end with the tokens they refuse and go with the clean-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tokenward.domain.clock import Clock
from tokenward.errors import DependencyUnavailable

#: kinds of entries: a revoked session (refuses every token carrying it as ``sid``) and a revoked token (``jti``)
SESSION = "session"
TOKEN = "token"


@dataclass(frozen=True, slots=True)
class DenyEntry:
    kind: str
    key: str
    until: datetime


class DenyRecord(Protocol):
    """The durable record (the database)."""

    async def add(self, entry: DenyEntry) -> None:
        """Store the entry; an existing entry for the same key keeps the later ``until``."""
        ...

    async def is_denied(self, session_id: str, jti: str, now: datetime) -> bool: ...

    async def in_force(self, now: datetime) -> list[DenyEntry]:
        """Every entry whose ``until`` is after ``now``."""
        ...


class DenyCopy(Protocol):
    """The fast copy (Redis or memory)."""

    #: whether every process writes to this same copy (Redis), or only this one (memory)
    shared: bool

    async def add(self, entries: Sequence[DenyEntry]) -> None: ...

    async def lookup(self, session_id: str, jti: str) -> bool | None:
        """Whether the session or the token is denied; ``None`` if the copy was never filled or lost its data."""
        ...

    async def fill(self, entries: Sequence[DenyEntry]) -> None:
        """Add ``entries``, then mark the copy as filled."""
        ...


class DurableDenyList:
    """The ``DenyList`` port on a record and a copy (see the module docstring)."""

    def __init__(
        self,
        record: DenyRecord,
        copy: DenyCopy,
        clock: Clock,
        *,
        refill_interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._record = record
        self._copy = copy
        self._clock = clock
        self._refill_interval = refill_interval
        self._monotonic = monotonic
        self._trusted = False
        #: counts failures of the copy, so a refill that overlapped one does not trust the copy
        self._copy_failures = 0
        self._refilling = False
        self._next_refill = 0.0

    @property
    def trusted(self) -> bool:
        return self._trusted

    @property
    def complete(self) -> bool:
        """Whether a session absent from the deny-list was not ended by any process, so introspection may skip
        the session row: the copy is shared by every process and trusted by this one.

        One case stays open, as it does for a revoked ``jti``: a process whose write to the copy failed (Redis
        unreachable from it alone) stops trusting the copy, but the others still do and miss that entry until
        it expires; the session row (refresh, ``/v1`` calls) refuses the session at once all the same."""
        return self._trusted and self._copy.shared

    async def deny_session(self, session_id: str, until: datetime) -> None:
        await self._deny(DenyEntry(SESSION, session_id, until))

    async def deny_token(self, jti: str, until: datetime) -> None:
        await self._deny(DenyEntry(TOKEN, jti, until))

    async def is_denied(self, session_id: str, jti: str) -> bool:
        if self._trusted:
            try:
                answer = await self._copy.lookup(session_id, jti)
            except DependencyUnavailable:
                answer = None
            if answer is not None:
                return answer
            self._distrust()
        await self._refill()
        return await self._record.is_denied(session_id, jti, self._clock.now())

    async def _deny(self, entry: DenyEntry) -> None:
        if entry.until <= self._clock.now():
            return
        await self._record.add(entry)
        try:
            await self._copy.add([entry])
        except DependencyUnavailable:
            self._distrust()

    def _distrust(self) -> None:
        self._trusted = False
        self._copy_failures += 1

    async def _refill(self) -> None:
        """Copy the record into the copy, unless a refill is running or one was tried less than a
        ``refill_interval`` ago; a failure leaves the copy untrusted (the caller asks the record)."""
        if self._refilling or self._monotonic() < self._next_refill:
            return
        self._refilling = True
        self._next_refill = self._monotonic() + self._refill_interval
        failures = self._copy_failures
        try:
            await self._copy.fill(await self._record.in_force(self._clock.now()))
        except DependencyUnavailable:
            return
        finally:
            self._refilling = False
        self._trusted = failures == self._copy_failures

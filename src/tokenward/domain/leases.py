"""Leases: "only one process does X at a time" across every process sharing the database.

A lease is a named row with a holder and an expiry. ``acquire`` succeeds for the one caller that finds the
lease free, expired, or already its own; a holder that dies simply lets the lease run out, so nothing stays
locked for longer than the lease's duration. Used for the periodic clean-up and the key-rotation step.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from tokenward.domain.clock import Clock
from tokenward.domain.ports import LeaseRepository


def new_holder_id() -> str:
    """A process's identity as a lease holder: random, so two processes never share one."""
    return secrets.token_hex(8)


class Leases:
    def __init__(self, repository: LeaseRepository, clock: Clock, holder: str | None = None) -> None:
        self._repository = repository
        self._clock = clock
        self.holder = holder or new_holder_id()

    @asynccontextmanager
    async def hold(self, name: str, duration: timedelta) -> AsyncIterator[bool]:
        """Yields whether the lease was acquired; releases it afterwards if it was."""
        now = self._clock.now()
        acquired = await self._repository.acquire(name, self.holder, now, now + duration)
        try:
            yield acquired
        finally:
            if acquired:
                await self._repository.release(name, self.holder)

"""Leases: one holder at a time per name."""

from __future__ import annotations

from datetime import datetime


class FakeLeaseRepository:
    def __init__(self) -> None:
        self._leases: dict[str, tuple[str, datetime]] = {}

    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        current = self._leases.get(name)
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self._leases[name] = (holder, until)
        return True

    async def release(self, name: str, holder: str) -> None:
        current = self._leases.get(name)
        if current is not None and current[0] == holder:
            del self._leases[name]

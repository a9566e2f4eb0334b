"""The ports of the shared top-level modules: the lease store of ``leases.py`` (``adapters/sql/leases.py``).

The two other protocols at this level stay where they are used: ``Clock`` (``clock.py``), which the server
shares with the resource-server library and which the system clock and the tests' frozen clock implement, and
``ExpiredRecords`` (``cleanup.py``), which the clean-up's own record kinds implement; no adapter implements
either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class LeaseRepository(Protocol):
    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or extend the lease ``name`` for ``holder`` until ``until``; ``False`` if someone else holds it."""
        ...

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up, if ``holder`` still holds it."""
        ...

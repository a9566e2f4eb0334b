"""The ports the audit package needs: where events go.

Sinks: the append-only table (``adapters/sql/audit.py``), the structured log (``adapters/logging.py``) and the
security-event counters (``adapters/metrics.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.audit.events import AuditEvent


class AuditSink(Protocol):
    async def record(self, event: AuditEvent) -> None: ...


class AuditRepository(AuditSink, Protocol):
    async def list_events(
        self, *, user_id: str | None = None, event_type: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """Newest first."""
        ...

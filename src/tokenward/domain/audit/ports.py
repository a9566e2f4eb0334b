"""The ports the audit package needs: where events go.

Sinks: the append-only table (``adapters/sql/audit.py``), the structured log (``adapters/logging.py``) and the
security-event counters (``adapters/metrics.py``).

``AuditTrail`` (in ``events.py``) sends every event to its sinks and so imports this module; the event type is
imported here for type checking only, which keeps the two modules from importing each other at run time
(annotations are never evaluated: ``from __future__ import annotations``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

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

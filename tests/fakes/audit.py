"""Audit: the append-only event repository (also a sink for ``AuditTrail``)."""

from __future__ import annotations

from tokenward.domain.audit.events import AuditEvent


class FakeAuditRepository:
    """Append-only like the table: nothing but ``record`` and ``list_events`` is public."""

    def __init__(self) -> None:
        self._events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self._events.append(event)

    async def list_events(
        self, *, user_id: str | None = None, event_type: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        matching = [
            (index, event)
            for index, event in enumerate(self._events)
            if (user_id is None or event.user_id == user_id)
            and (event_type is None or event.type == event_type)
        ]
        matching.sort(key=lambda pair: (pair[1].at, pair[0]), reverse=True)
        return [event for _, event in matching[: max(limit, 0)]]

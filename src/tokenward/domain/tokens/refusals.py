"""Which refused access tokens reach the audit trail, without letting a flood of forgeries fill it.

A refusal's reason (``bad_signature``, ``alg_not_allowed`` ...) is what an operator needs to tell an attack from
a misconfigured resource server, and, in production, the one thing the 401 no longer says. So it is recorded.
But anyone can send forged tokens as fast as the network allows, and an audit row per refusal would turn that
flood into database writes on an append-only table that the server itself cannot trim. Each process therefore
records each (client address, reason) pair at most once per window, and at most ``budget`` refusals per window
in all; the API logs every refusal regardless (``api.problems``), so nothing is lost but the duplicates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext

#: one window: each (address, reason) is recorded once in it
REFUSAL_WINDOW_SECONDS = 60
#: refusals recorded per window and process, whatever their addresses
REFUSAL_BUDGET = 60


class TokenRefusals:
    """Records refused access tokens in the audit trail, once per address, reason and window, within a budget."""

    def __init__(
        self,
        audit: AuditTrail,
        clock: Clock,
        *,
        window_seconds: int = REFUSAL_WINDOW_SECONDS,
        budget: int = REFUSAL_BUDGET,
    ) -> None:
        self._audit = audit
        self._clock = clock
        self._window = timedelta(seconds=window_seconds)
        self._budget = budget
        self._window_start: datetime | None = None
        self._seen: set[tuple[str | None, str]] = set()

    async def refused(self, reason: str, context: RequestContext | None) -> bool:
        """Record one refusal unless it repeats one of this window or the window's budget is spent.

        Returns whether it was recorded.
        """
        now = self._clock.now()
        if self._window_start is None or now - self._window_start >= self._window:
            self._window_start = now
            self._seen = set()  # bounded by the budget: at most ``budget`` pairs per window
        pair = (context.ip if context else None, reason)
        if pair in self._seen or len(self._seen) >= self._budget:
            return False
        self._seen.add(pair)
        await self._audit.record(
            AuditEventType.ACCESS_TOKEN_REFUSED, context, outcome="refused", reason=reason
        )
        return True

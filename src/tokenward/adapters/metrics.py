"""Prometheus counters for security-relevant events, exposed at ``/metrics``.

Every audit event increments ``tokenward_security_events_total{type, outcome}``; every throttled request
increments ``tokenward_throttled_requests_total{layer, policy}`` (that one is per request, not per event, since
a counter costs nothing to increment).
"""

from __future__ import annotations

from prometheus_client import Counter

from tokenward.domain.audit.events import AuditEvent

SECURITY_EVENTS = Counter(
    "tokenward_security_events_total", "Security events recorded in the audit trail", ["type", "outcome"]
)
THROTTLED_REQUESTS = Counter(
    "tokenward_throttled_requests_total",
    "Requests refused by rate limits, back-off or stuffing blocks",
    ["layer", "policy"],
)


class PrometheusThrottleMetrics:
    def rejected(self, layer: str, policy: str) -> None:
        THROTTLED_REQUESTS.labels(layer=layer, policy=policy).inc()


class MetricsAuditSink:
    async def record(self, event: AuditEvent) -> None:
        SECURITY_EVENTS.labels(type=event.type, outcome=event.outcome).inc()

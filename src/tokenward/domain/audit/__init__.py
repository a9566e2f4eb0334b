"""Audit: security events, the trail that records them, and the sink port."""

from tokenward.domain.audit.events import (
    REDACTED,
    AuditEvent,
    AuditEventType,
    AuditTrail,
    redact,
    redact_value,
)
from tokenward.domain.audit.ports import AuditRepository, AuditSink

__all__ = [
    "REDACTED",
    "AuditEvent",
    "AuditEventType",
    "AuditRepository",
    "AuditSink",
    "AuditTrail",
    "redact",
    "redact_value",
]

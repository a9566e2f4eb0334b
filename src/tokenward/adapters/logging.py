"""Structured JSON logging (structlog) with redaction on every line.

The redaction processor runs last before rendering, on every log call anywhere in the process, so a password,
token or secret passed to a logger by mistake is replaced by ``[redacted]`` instead of written. The audit
trail redacts before its sinks too; this is the second, independent net.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from tokenward.domain.audit.events import AuditEvent, redact_value

_configured = False


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in ("event", "level", "timestamp", "logger"):
            continue
        event_dict[key] = redact_value(key, event_dict[key])
    message = event_dict.get("event")
    if isinstance(message, str):
        event_dict["event"] = redact_value("event", message)
    return event_dict


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and the standard library's root logger once per process."""
    global _configured
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # resolve sys.stderr at each call, so redirected or captured streams are honoured
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str = "tokenward") -> Any:
    return structlog.get_logger(name)


class LogAuditSink:
    """Writes each audit event as one structured JSON line."""

    def __init__(self) -> None:
        self._log = get_logger("tokenward.audit")

    async def record(self, event: AuditEvent) -> None:
        self._log.info(
            "audit",
            audit_type=event.type,
            outcome=event.outcome,
            user_id=event.user_id,
            session_id=event.session_id,
            ip=event.ip,
            user_agent=event.user_agent,
            details=dict(event.details),
            at=event.at.isoformat(),
        )

"""Mail delivery adapters."""

from tokenward.adapters.email.outbox import OutboxMailer

__all__ = ["OutboxMailer"]

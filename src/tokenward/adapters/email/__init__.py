"""Mail delivery adapters: SMTP, the outbox folder (embedded default), and background sending."""

from tokenward.adapters.email.background import BackgroundMailer
from tokenward.adapters.email.outbox import OutboxMailer
from tokenward.adapters.email.smtp import SmtpMailer, SmtpSettings

__all__ = ["BackgroundMailer", "OutboxMailer", "SmtpMailer", "SmtpSettings"]

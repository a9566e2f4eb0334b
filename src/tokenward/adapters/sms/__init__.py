"""Text-message senders behind the domain's ``SmsSender`` port: an HTTP webhook to the operator's gateway, and
the development outbox."""

from tokenward.adapters.sms.outbox import OutboxSmsSender
from tokenward.adapters.sms.webhook import WebhookSettings, WebhookSmsSender, signature

__all__ = ["OutboxSmsSender", "WebhookSettings", "WebhookSmsSender", "signature"]

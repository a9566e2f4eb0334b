"""SMTP delivery with the standard library's ``smtplib``, run off the event loop.

TLS: ``tls`` opens an implicit TLS connection (``SMTP_SSL``, usually port 465); otherwise ``starttls``
upgrades a plain connection (port 587) and refuses to continue if the server does not offer STARTTLS, so
credentials never cross the network in clear text by accident. Certificates are verified with the system's
trust store (``ssl.create_default_context``).

A delivery failure is logged (kind, recipient domain and error type; never the body, which may hold a
single-use link) and reported to the health tracker (one line when the mail server stops answering, one
when it answers again), then swallowed: whether a message could be sent must not change the answer of sign-up or
forgot-password, which would tell a caller something about the address.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

from tokenward.adapters.dependencies import MAILER
from tokenward.adapters.health import process_health
from tokenward.adapters.logging import get_logger
from tokenward.domain.accounts.email_addresses import ascii_email
from tokenward.domain.email.model import EmailMessage


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    tls: bool = False
    timeout: float = 10.0
    #: TLS context; ``None`` means the system trust store with hostname checks
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)


def _server_unreachable(error: Exception) -> bool:
    """A connection that failed (not a message refused: that error may name recipients, and is no outage)."""
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    return not isinstance(error, smtplib.SMTPException)


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._log = get_logger("tokenward.mail")

    async def send(self, message: EmailMessage) -> None:
        mime = MimeMessage()
        mime["From"] = self._settings.sender
        # an internationalised domain goes out as A-labels, which every server accepts without SMTPUTF8
        mime["To"] = ascii_email(message.to)
        mime["Subject"] = message.subject
        mime["Message-ID"] = make_msgid(domain=self._settings.sender.rpartition("@")[2] or None)
        mime["X-Tokenward-Kind"] = message.kind
        mime.set_content(message.body)
        try:
            await asyncio.to_thread(self._deliver, mime)
        except (smtplib.SMTPException, OSError) as exc:
            if _server_unreachable(exc):
                process_health().failed(MAILER, exc)
            self._log.error(
                "email_delivery_failed",
                kind=message.kind,
                recipient_domain=message.to.rpartition("@")[2],
                error_type=type(exc).__name__,
            )
            return
        process_health().succeeded(MAILER)
        self._log.info("email_sent", kind=message.kind, recipient_domain=message.to.rpartition("@")[2])

    def _deliver(self, mime: MimeMessage) -> None:
        s = self._settings
        context = s.ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with smtp:
            smtp.ehlo()
            if s.starttls and not s.tls:
                # raises SMTPNotSupportedError when the server does not offer it: no silent downgrade
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(mime)

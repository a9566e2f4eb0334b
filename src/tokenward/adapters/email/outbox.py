"""The embedded default mailer: each message is written as an ``.eml`` file to an outbox folder.

So the quick start works without a mail server, and a developer can read what would have been sent. The log
line names the message but not its body, which may carry single-use links. A folder that cannot be written
(disk full, permissions) answers 503 naming the mailer, like any dependency that does not answer.
"""

from __future__ import annotations

import asyncio
import secrets
from email.message import EmailMessage as MimeMessage
from pathlib import Path

from tokenward.adapters.dependencies import MAILER, answering
from tokenward.adapters.logging import get_logger
from tokenward.domain.clock import Clock
from tokenward.domain.email.model import EmailMessage


class OutboxMailer:
    def __init__(self, folder: Path, sender: str, clock: Clock) -> None:
        self._folder = folder
        self._sender = sender
        self._clock = clock
        self._log = get_logger("tokenward.mail")

    async def send(self, message: EmailMessage) -> None:
        mime = MimeMessage()
        mime["From"] = self._sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["X-Tokenward-Kind"] = message.kind
        mime.set_content(message.body)
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%S")
        path = self._folder / f"{stamp}-{message.kind}-{secrets.token_hex(4)}.eml"
        async with answering(MAILER, lambda error: isinstance(error, OSError)):
            await asyncio.to_thread(self._write, path, mime.as_bytes())
        self._log.info("email_written_to_outbox", kind=message.kind, path=str(path))

    def _write(self, path: Path, data: bytes) -> None:
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_bytes(data)

"""Send e-mail in the background, so no answer waits for (or reveals) mail delivery.

Sign-up and forgot-password must cost the same whether or not a message goes out; handing the message to a
task makes ``send`` return at once either way. ``drain`` waits for what is in flight (shutdown, tests).
"""

from __future__ import annotations

import asyncio

from tokenward.adapters.logging import get_logger
from tokenward.domain.email.model import EmailMessage
from tokenward.domain.email.ports import Mailer


class BackgroundMailer:
    def __init__(self, inner: Mailer) -> None:
        self._inner = inner
        self._pending: set[asyncio.Task[None]] = set()
        self._log = get_logger("tokenward.mail")

    async def send(self, message: EmailMessage) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _deliver(self, message: EmailMessage) -> None:
        try:
            await self._inner.send(message)
        except Exception as exc:  # a background failure must be logged, never lost or raised into a request
            self._log.error("email_delivery_failed", kind=message.kind, error_type=type(exc).__name__)

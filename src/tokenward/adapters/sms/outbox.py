"""The development SMS sender: each message is written as a JSON file to an outbox folder.

So SMS codes can be tried without a gateway, like the e-mail outbox. The log line names the message, never its
body (which holds the code). Refused in production by the settings check: it would deliver nothing.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

from tokenward.adapters.logging import get_logger
from tokenward.domain.clock import Clock
from tokenward.domain.mfa.sms import SmsMessage


class OutboxSmsSender:
    def __init__(self, folder: Path, clock: Clock) -> None:
        self._folder = folder
        self._clock = clock
        self._log = get_logger("tokenward.sms")

    async def send(self, message: SmsMessage) -> None:
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%S")
        path = self._folder / f"{stamp}-{message.kind}-{secrets.token_hex(4)}.json"
        data = json.dumps({"to": message.to, "kind": message.kind, "body": message.body}).encode()
        await asyncio.to_thread(self._write, path, data)
        self._log.info("sms_written_to_outbox", kind=message.kind, path=str(path))

    def _write(self, path: Path, data: bytes) -> None:
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_bytes(data)

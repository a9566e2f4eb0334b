"""Outgoing text messages: the message and the port that delivers it (``adapters/sms``).

A sender raises ``SmsUnavailable`` when the gateway did not take the message; callers send before they store
anything, so a failed send leaves nothing half done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SmsMessage:
    #: E.164
    to: str
    body: str
    #: a stable name for the kind of message, for logs and tests (``mfa_code``)
    kind: str

    def __repr__(self) -> str:
        return f"SmsMessage(kind={self.kind!r}, [redacted])"


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None: ...

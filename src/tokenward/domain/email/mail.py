"""Outgoing e-mail: the message and the port that delivers it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    body: str
    #: a stable name for the kind of message, for logs and tests (``account_exists_notice`` ...)
    kind: str


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

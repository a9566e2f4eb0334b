"""E-mail: single-use tokens, known devices, and a mailer that keeps what it would send."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from tests.fakes.base import DuplicateKey
from tokenward.domain.email.model import EmailMessage, OneTimeTokenRecord, Sighting


class FakeOneTimeTokenRepository:
    def __init__(self) -> None:
        self._records: dict[str, OneTimeTokenRecord] = {}

    async def add(self, record: OneTimeTokenRecord) -> None:
        if record.token_hash in self._records:
            raise DuplicateKey("duplicate token hash")
        self._records[record.token_hash] = record

    async def consume(self, token_hash: str, purpose: str, now: datetime) -> OneTimeTokenRecord | None:
        record = await self.find(token_hash, purpose, now)
        if record is None:
            return None
        used = self._records[token_hash] = replace(record, used_at=now)
        return used

    async def find(self, token_hash: str, purpose: str, now: datetime) -> OneTimeTokenRecord | None:
        record = self._records.get(token_hash)
        if (
            record is None
            or record.purpose != purpose
            or record.used_at is not None
            or record.expires_at <= now
        ):
            return None
        return record

    async def discard_for_user(
        self, user_id: str, purpose: str, now: datetime, *, created_after: datetime | None = None
    ) -> int:
        unused = [
            r
            for r in self._records.values()
            if (r.user_id, r.purpose, r.used_at) == (user_id, purpose, None)
            and (created_after is None or r.created_at > created_after)
        ]
        for record in unused:
            self._records[record.token_hash] = replace(record, used_at=now)
        return len(unused)

    async def delete_expired(self, before: datetime) -> int:
        expired = [h for h, r in self._records.items() if r.expires_at < before]
        for token_hash in expired:
            del self._records[token_hash]
        return len(expired)


class FakeKnownDeviceRepository:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}

    async def remember(self, user_id: str, fingerprint: str, now: datetime) -> Sighting:
        if (user_id, fingerprint) in self._seen:
            self._seen[(user_id, fingerprint)] = now
            return Sighting.KNOWN
        first = not any(user == user_id for user, _ in self._seen)
        self._seen[(user_id, fingerprint)] = now
        return Sighting.FIRST if first else Sighting.NEW


_LINK_TOKEN = re.compile(r"#token=(tw[a-z]_[A-Za-z0-9_-]{43})")


class FakeMailer:
    """Keeps every message instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def of_kind(self, kind: str, to: str | None = None) -> list[EmailMessage]:
        return [m for m in self.sent if m.kind == kind and (to is None or m.to == to)]

    def link_token(self, kind: str, to: str) -> str:
        """The single-use token in the newest message of ``kind`` to ``to``."""
        messages = self.of_kind(kind, to)
        assert messages, f"no {kind} e-mail to {to}"
        match = _LINK_TOKEN.search(messages[-1].body)
        assert match, f"no link with a token in the {kind} e-mail"
        return match.group(1)

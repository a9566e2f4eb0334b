"""The audit log: the sink that seals and chains every event, and the ways to read, check and export it.

``AuditTrail`` hands each (redacted) event to ``AuditLog.record``, which seals the personal fields under the
subject's data key (``personal.py``) and appends the rest to the store, which links it into the hash chain
(``chain.py``) in the same transaction. Reading opens the personal fields again where the key still exists.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from tokenward.domain.audit.chain import AuditRecord, BrokenLink, ChainHead, ChainWalk
from tokenward.domain.audit.events import AuditEvent
from tokenward.domain.audit.personal import PERSONAL_FIELDS, PersonalDataVault
from tokenward.errors import InvalidRequest

MAX_PAGE = 500
_WALK_BATCH = 1000


@dataclass(frozen=True, slots=True)
class NewAuditRecord:
    """An event ready to be linked: the store assigns ``seq``, ``prev_hash`` and ``hash``."""

    type: str
    at: datetime
    outcome: str
    user_id: str | None
    session_id: str | None
    details: Mapping[str, Any]
    sealed: bytes | None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Newest first; ``before_seq`` continues a page (the cursor)."""

    user_id: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None
    limit: int = 100


class AuditStore(Protocol):
    async def append(self, record: NewAuditRecord) -> None:
        """Link the record after the current head and store both in one transaction (the unit of work's, in
        one; ``domain/transactions.py``)."""
        ...

    async def search(self, query: AuditQuery) -> list[AuditRecord]: ...

    async def walk(self, after_seq: int, limit: int) -> list[AuditRecord]:
        """Records with ``seq > after_seq`` in ascending order (verification, export)."""
        ...

    async def head(self) -> ChainHead: ...

    async def drop_personal_before(self, cutoff: datetime) -> int:
        """Delete the sealed personal fields of events older than ``cutoff``; the chain keeps their digest."""
        ...


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A stored event with its personal fields opened where possible."""

    seq: int
    event: AuditEvent
    hash: str
    #: ``present``, ``none`` (the event had none), ``erased`` (key destroyed) or ``expired`` (retention)
    personal: str = "none"

    def as_dict(self) -> dict[str, Any]:
        event = self.event
        return {
            "seq": self.seq,
            "type": event.type,
            "at": event.at.isoformat(),
            "outcome": event.outcome,
            "user_id": event.user_id,
            "session_id": event.session_id,
            "ip": event.ip,
            "user_agent": event.user_agent,
            "details": dict(event.details),
            "personal": self.personal,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[LoggedEvent]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    head: ChainHead
    broken: BrokenLink | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.broken is None


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        prefix, _, number = text.partition(":")
        if prefix != "audit" or not number.isdigit() or len(number) > 18:
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("The cursor is not one this server gave out") from None


class AuditLog:
    """The audit sink on durable storage, and every read of it (admin API, export, ``audit verify``)."""

    def __init__(self, store: AuditStore, vault: PersonalDataVault) -> None:
        self._store = store
        self._vault = vault

    @property
    def vault(self) -> PersonalDataVault:
        return self._vault

    @property
    def store(self) -> AuditStore:
        return self._store

    async def record(self, event: AuditEvent) -> None:
        personal = {name: value for name in PERSONAL_FIELDS if (value := getattr(event, name))}
        sealed = await self._vault.seal(event.user_id, personal) if personal else None
        await self._store.append(
            NewAuditRecord(
                type=event.type,
                at=event.at,
                outcome=event.outcome,
                user_id=event.user_id,
                session_id=event.session_id,
                details=dict(event.details),
                sealed=sealed,
            )
        )

    async def list_events(
        self, *, user_id: str | None = None, event_type: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """Newest first, personal fields opened (the ``AuditRepository`` port)."""
        records = await self._store.search(AuditQuery(user_id=user_id, type=event_type, limit=max(limit, 0)))
        return [(await self._opened(record)).event for record in records]

    async def search(self, query: AuditQuery) -> AuditPage:
        if not 1 <= query.limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        records = await self._store.search(query)
        events = [await self._opened(record) for record in records]
        more = len(records) == query.limit and records[-1].seq > 1
        return AuditPage(events, encode_cursor(records[-1].seq) if more else None)

    async def every_event(self, *, user_id: str | None = None) -> AsyncIterator[LoggedEvent]:
        """Oldest first, in batches (``audit export``, the personal-data export)."""
        after = 0
        while batch := await self._store.walk(after, _WALK_BATCH):
            for record in batch:
                if user_id is None or record.user_id == user_id:
                    yield await self._opened(record)
            after = batch[-1].seq

    async def verify(self) -> VerifyReport:
        """Walk the whole chain; the report names the first broken link, if any."""
        head = await self._store.head()
        walk = ChainWalk()
        after = 0
        while batch := await self._store.walk(after, _WALK_BATCH):
            if not all(walk.feed(record) for record in batch):
                break
            after = batch[-1].seq
        return VerifyReport(checked=walk.checked, head=head, broken=walk.finish(head))

    async def head(self) -> ChainHead:
        return await self._store.head()

    async def forget_user(self, user_id: str) -> None:
        """Erasure: the user's personal fields become unreadable; the chain is untouched."""
        await self._vault.destroy(user_id)

    async def _opened(self, record: AuditRecord) -> LoggedEvent:
        personal: dict[str, str] | None = {}
        state = "none"
        if record.personal_digest is not None:
            if record.sealed is None:
                personal, state = None, "expired"
            else:
                personal = await self._vault.open(record.user_id, record.sealed)
                state = "present" if personal is not None else "erased"
        fields = personal or {}
        event = AuditEvent(
            type=record.type,
            at=record.at,
            outcome=record.outcome,
            user_id=record.user_id,
            session_id=record.session_id,
            ip=fields.get("ip"),
            user_agent=fields.get("user_agent"),
            details=dict(record.details),
        )
        return LoggedEvent(seq=record.seq, event=event, hash=record.hash, personal=state)


class ExpiredAuditPersonalData:
    """Clean-up step: personal fields of events older than the audit retention are deleted."""

    name = "audit_personal_fields"

    def __init__(self, store: AuditStore, retention: timedelta) -> None:
        self._store = store
        self._retention = retention

    async def delete_expired(self, now: datetime, policy: object) -> int:
        return await self._store.drop_personal_before(now - self._retention)

"""The hash chain that makes the audit trail tamper-evident.

Every stored event carries ``prev_hash`` (the hash of the event before it) and ``hash``: SHA-256 over a
canonical encoding of the event and of ``prev_hash``. Changing any stored field breaks that row's own hash;
deleting a row breaks the next row's ``prev_hash`` and leaves a gap in the sequence numbers; deleting the
newest rows is only visible against a head hash seen earlier, which is why the head is logged periodically.

Personal fields are not hashed in the clear: they are stored sealed (``personal.py``) and the chain covers
the SHA-256 of the ciphertext (``personal_digest``), so erasure (destroying the key) and retention (deleting
the ciphertext) leave every hash intact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: the ``prev_hash`` of the first event
GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One event as stored: what happened, the digest of its sealed personal fields, and its place in the chain."""

    seq: int
    type: str
    at: datetime
    outcome: str
    user_id: str | None
    session_id: str | None
    details: Mapping[str, Any]
    #: SHA-256 hex of ``sealed``; ``None`` when the event had no personal fields
    personal_digest: str | None
    prev_hash: str
    hash: str
    #: the ciphertext of the personal fields; ``None`` once retention removed it (or there never was one)
    sealed: bytes | None = field(default=None, compare=False)


def canonical_bytes(
    *,
    seq: int,
    type: str,
    at: datetime,
    outcome: str,
    user_id: str | None,
    session_id: str | None,
    details: Mapping[str, Any],
    personal_digest: str | None,
    prev_hash: str,
) -> bytes:
    """JSON with sorted keys, no spaces and UTC microsecond timestamps: one byte string per event."""
    document = {
        "seq": seq,
        "type": type,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "outcome": outcome,
        "user_id": user_id,
        "session_id": session_id,
        "details": details,
        "personal_digest": personal_digest,
        "prev_hash": prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def link_hash(**fields: Any) -> str:
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()


def digest(sealed: bytes) -> str:
    return hashlib.sha256(sealed).hexdigest()


def recomputed_hash(record: AuditRecord) -> str:
    return link_hash(
        seq=record.seq,
        type=record.type,
        at=record.at,
        outcome=record.outcome,
        user_id=record.user_id,
        session_id=record.session_id,
        details=record.details,
        personal_digest=record.personal_digest,
        prev_hash=record.prev_hash,
    )


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest link: how many events the chain holds and the hash of the last one."""

    seq: int
    hash: str


GENESIS = ChainHead(seq=0, hash=GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first place the chain does not hold, and why."""

    seq: int
    reason: str


@dataclass(slots=True)
class ChainWalk:
    """Checks records fed in ascending order; remembers the first broken link and how far it got."""

    previous: ChainHead = GENESIS
    checked: int = 0
    broken: BrokenLink | None = None

    def feed(self, record: AuditRecord) -> bool:
        """Check one record; ``False`` once a link is broken (the walk stops there)."""
        if self.broken is not None:
            return False
        reason = self._fault(record)
        if reason is not None:
            self.broken = BrokenLink(self.previous.seq + 1, reason)
            return False
        self.previous = ChainHead(record.seq, record.hash)
        self.checked += 1
        return True

    def finish(self, head: ChainHead) -> BrokenLink | None:
        """After the last record: the stored head must be the last record walked (else rows were cut off)."""
        if self.broken is None and head != self.previous:
            self.broken = BrokenLink(
                self.previous.seq + 1,
                f"the chain head says {head.seq} events ending in {head.hash[:16]}…, "
                f"but the stored events end at {self.previous.seq}",
            )
        return self.broken

    def _fault(self, record: AuditRecord) -> str | None:
        if record.seq != self.previous.seq + 1:
            return f"event {self.previous.seq + 1} is missing (the next stored event is {record.seq})"
        if record.prev_hash != self.previous.hash:
            return f"prev_hash does not match the hash of event {self.previous.seq}"
        if record.sealed is not None and digest(record.sealed) != record.personal_digest:
            return "the sealed personal fields do not match their digest"
        if recomputed_hash(record) != record.hash:
            return "the stored hash does not match the event's content"
        return None

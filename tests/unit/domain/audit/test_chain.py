"""The hash chain's encoding and walk, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tokenward.domain.audit.chain import (
    GENESIS,
    GENESIS_HASH,
    AuditRecord,
    ChainHead,
    ChainWalk,
    canonical_bytes,
    digest,
    link_hash,
)

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _chain(count: int) -> list[AuditRecord]:
    records, previous = [], GENESIS_HASH
    for seq in range(1, count + 1):
        sealed = f"sealed-{seq}".encode()
        fields: dict[str, Any] = {
            "seq": seq,
            "type": "login_succeeded",
            "at": AT + timedelta(seconds=seq),
            "outcome": "success",
            "user_id": "u",
            "session_id": None,
            "details": {"b": 1, "a": [seq]},
            "personal_digest": digest(sealed),
            "prev_hash": previous,
        }
        previous = link_hash(**fields)
        records.append(AuditRecord(**fields, hash=previous, sealed=sealed))
    return records


def test_the_encoding_is_canonical_whatever_the_key_order_or_time_zone() -> None:
    base: dict[str, Any] = {
        "seq": 1,
        "type": "t",
        "outcome": "o",
        "user_id": None,
        "session_id": None,
        "personal_digest": None,
    }
    one = canonical_bytes(**base, at=AT, details={"a": 1, "b": 2}, prev_hash=GENESIS_HASH)
    other_zone = AT.astimezone(timezone(timedelta(hours=5)))
    two = canonical_bytes(**base, at=other_zone, details={"b": 2, "a": 1}, prev_hash=GENESIS_HASH)
    assert one == two
    assert b'"at":"2026-01-01T12:00:00.000000Z"' in one


def test_an_intact_chain_walks_to_its_head() -> None:
    records = _chain(5)
    walk = ChainWalk()
    assert all(walk.feed(record) for record in records)
    assert walk.finish(ChainHead(5, records[-1].hash)) is None
    assert walk.checked == 5


def test_an_empty_chain_matches_the_genesis_head_only() -> None:
    assert ChainWalk().finish(GENESIS) is None
    broken = ChainWalk().finish(ChainHead(2, "f" * 64))
    assert broken is not None
    assert broken.seq == 1


def test_swapped_sealed_fields_are_named() -> None:
    records = _chain(3)
    records[1] = replace(records[1], sealed=b"another user's fields")
    walk = ChainWalk()
    for record in records:
        walk.feed(record)
    assert walk.broken is not None
    assert walk.broken.seq == 2
    assert "sealed personal fields" in walk.broken.reason


def test_removed_sealed_fields_keep_the_chain() -> None:
    """Retention deletes the ciphertext; the digest in the chain stays and still verifies."""
    records = [replace(record, sealed=None) for record in _chain(3)]
    walk = ChainWalk()
    assert all(walk.feed(record) for record in records)

"""The audit trail on SQL: the hash-chained, append-only event table and the sealed personal fields.

There is deliberately no update or delete of an event; the migration installs triggers that make the database
refuse both (threat T-AUD-01). Each append locks the one chain-head row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), links the event after it, stores event,
sealed personal fields and the new head, and commits: concurrent writers form one chain, each holding the lock
only for three short statements (bench/audit_chain.py measures the cost). Inside a unit of work
(``Database.atomic``) the append waits for the unit's end, so the head is locked only for its last statements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import audit_chain_head, audit_events, audit_personal
from tokenward.domain.audit.chain import GENESIS, AuditRecord, ChainHead, digest, link_hash
from tokenward.domain.audit.log import AuditQuery, NewAuditRecord

_HEAD_ID = 1
#: built once, like the inserts of ``_link`` (which take their rows at execution)
_MOVE_HEAD = (
    update(audit_chain_head)
    .where(audit_chain_head.c.id == _HEAD_ID)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)
_LOCK_HEAD = select(audit_chain_head).where(audit_chain_head.c.id == _HEAD_ID).with_for_update()


class SqlAuditStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, record: NewAuditRecord) -> None:
        """Inside a unit of work the event is linked at the unit's end, with the unit's other events, in its
        transaction; alone, in a transaction of its own."""
        if self._db.at_commit(_link, record):
            return
        async with self._db.write() as conn:
            await _link(conn, [record])

    async def search(self, query: AuditQuery) -> list[AuditRecord]:
        statement = _joined()
        if query.user_id is not None:
            statement = statement.where(audit_events.c.user_id == query.user_id)
        if query.type is not None:
            statement = statement.where(audit_events.c.type == query.type)
        if query.since is not None:
            statement = statement.where(audit_events.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(audit_events.c.at < query.until)
        if query.before_seq is not None:
            statement = statement.where(audit_events.c.id < query.before_seq)
        # newest first by sequence: the order the chain recorded them in
        statement = statement.order_by(audit_events.c.id.desc()).limit(max(query.limit, 0))
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_record(row) for row in rows]

    async def walk(self, after_seq: int, limit: int) -> list[AuditRecord]:
        statement = (
            _joined().where(audit_events.c.id > after_seq).order_by(audit_events.c.id).limit(max(limit, 0))
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_record(row) for row in rows]

    async def head(self) -> ChainHead:
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(audit_chain_head).where(audit_chain_head.c.id == _HEAD_ID))
            ).one_or_none()
        return GENESIS if row is None else ChainHead(seq=row.seq, hash=row.hash)

    async def drop_personal_before(self, cutoff: datetime) -> int:
        older = select(audit_events.c.id).where(audit_events.c.at < cutoff).scalar_subquery()
        async with self._db.write() as conn:
            result = await conn.execute(delete(audit_personal).where(audit_personal.c.event_id.in_(older)))
        return int(result.rowcount or 0)


async def _link(conn: AsyncConnection, records: list[NewAuditRecord]) -> None:
    """Lock the head, store the events after it in order (and their sealed fields), move the head: four
    statements for any number of events."""
    head = await _locked_head(conn)
    events: list[dict[str, Any]] = []
    personal: list[dict[str, Any]] = []
    for record in records:
        seq = head.seq + 1
        fields: dict[str, Any] = {
            "seq": seq,
            "type": record.type,
            "at": record.at,
            "outcome": record.outcome,
            "user_id": record.user_id,
            "session_id": record.session_id,
            "details": dict(record.details),
            "personal_digest": digest(record.sealed) if record.sealed is not None else None,
            "prev_hash": head.hash,
        }
        head = ChainHead(seq=seq, hash=link_hash(**fields))
        events.append({"id": seq, "hash": head.hash, **{k: v for k, v in fields.items() if k != "seq"}})
        if record.sealed is not None:
            personal.append({"event_id": seq, "sealed": record.sealed})
    await conn.execute(insert(audit_events), events)
    if personal:
        await conn.execute(insert(audit_personal), personal)
    await conn.execute(_MOVE_HEAD, {"head_seq": head.seq, "head_hash": head.hash})


async def _locked_head(conn: AsyncConnection) -> ChainHead:
    """The head row, locked until this transaction ends; created at the genesis on first use."""
    statement = _LOCK_HEAD
    row = (await conn.execute(statement)).one_or_none()
    if row is None:
        # the migration creates the row; this only runs after the tables were emptied (tests): concurrent
        # writers may get here together, one inserts and the others wait for it on the row lock below
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        await conn.execute(
            dialect_insert(audit_chain_head)
            .values(id=_HEAD_ID, seq=GENESIS.seq, hash=GENESIS.hash)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = (await conn.execute(statement)).one()
    return ChainHead(seq=row.seq, hash=row.hash)


def _joined() -> Select[Any]:
    return select(audit_events, audit_personal.c.sealed).select_from(
        audit_events.outerjoin(audit_personal, audit_personal.c.event_id == audit_events.c.id)
    )


def _record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(
        seq=row.id,
        type=row.type,
        at=row.at,
        outcome=row.outcome,
        user_id=row.user_id,
        session_id=row.session_id,
        details=dict(row.details),
        personal_digest=row.personal_digest,
        prev_hash=row.prev_hash,
        hash=row.hash,
        sealed=row.sealed,
    )

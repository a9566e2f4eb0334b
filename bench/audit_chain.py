"""Audit chain: what linking every event into one hash chain costs a sign-in, on PostgreSQL and SQLite.

Each append locks the one chain-head row (``SELECT ... FOR UPDATE``), inserts the event (and its sealed
personal fields) and moves the head, in one transaction. This measures appends per second and per-append
latency with N concurrent writers, against a plain insert of the same row without the chain (the table as it
was before the chain), so the difference is the chain's cost. A password sign-in writes two events
(``login_succeeded``, ``sign_in_device_checked``); the report gives the cost per sign-in as twice the
per-event difference.

    python -m bench.audit_chain [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--events 2000]

The database named by ``--url`` is only used to create (and drop) a throw-away database beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from tests.databases import create_fresh_postgres_database, drop_postgres_database

from tokenward.adapters.sql import Database, SqlAuditStore, SqlDataKeyRepository, migrate
from tokenward.adapters.sql.tables import audit_events, audit_personal
from tokenward.domain.audit.events import AuditEvent
from tokenward.domain.audit.log import AuditLog
from tokenward.domain.audit.personal import PersonalDataVault
from tokenward.domain.clock import SystemClock
from tokenward.domain.keys.encryption import KeyEncryptor

EVENTS_PER_SIGN_IN = 2
_USERS = 200
#: ids of the unchained rows, far above the chain's, never reused between rounds
_UNCHAINED_IDS = iter(range(10**9, 2 * 10**9))


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        type="login_succeeded",
        at=datetime.now(UTC),
        user_id=f"user-{n % _USERS}",
        session_id=f"session-{n}",
        ip="203.0.113.7",
        user_agent="bench/1.0",
        details={"amr": ["pwd"]},
    )


async def _run(writers: int, events: int, append: object) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(events))

    async def writer() -> None:
        for n in queue:
            started = time.perf_counter()
            await append(_event(n))  # type: ignore[operator]
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return time.perf_counter() - started, latencies


async def measure(url: str, writers: int, events: int, kek: bytes) -> dict[str, float]:
    db = Database(url, pool_size=writers, max_overflow=0)
    log = AuditLog(
        SqlAuditStore(db),
        PersonalDataVault(SqlDataKeyRepository(db), KeyEncryptor(kek), SystemClock()),
    )

    async def unchained(event: AuditEvent) -> None:
        """The same rows without the chain: event and sealed fields inserted, no head lock, no hashing."""
        event_id = next(_UNCHAINED_IDS)
        async with db.write() as conn:
            await conn.execute(
                insert(audit_events).values(
                    id=event_id,
                    type=event.type,
                    at=event.at,
                    outcome=event.outcome,
                    user_id=event.user_id,
                    session_id=event.session_id,
                    details=dict(event.details),
                    personal_digest="0" * 64,
                    prev_hash="0" * 64,
                    hash="0" * 64,
                )
            )
            await conn.execute(insert(audit_personal).values(event_id=event_id, sealed=b"x" * 80))

    try:
        # each user's data key is created once, at their first event ever: not part of a sign-in's cost
        for n in range(_USERS):
            await log.record(_event(n))
        chained_s, chained = await _run(writers, events, log.record)
        plain_s, plain = await _run(writers, events, unchained)
    finally:
        await db.dispose()
    chained_ms = statistics.mean(chained) * 1000
    plain_ms = statistics.mean(plain) * 1000
    return {
        "writers": writers,
        "chained_per_s": events / chained_s,
        "plain_per_s": events / plain_s,
        "chained_mean_ms": chained_ms,
        "plain_mean_ms": plain_ms,
        "per_sign_in_ms": (chained_ms - plain_ms) * EVENTS_PER_SIGN_IN,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "TOKENWARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    kek = os.urandom(32)
    targets: list[tuple[str, str]] = []
    pg = await create_fresh_postgres_database(args.url)
    targets.append(("postgresql", pg))
    folder = Path(tempfile.mkdtemp())
    targets.append(("sqlite", f"sqlite+aiosqlite:///{folder / 'bench.db'}"))
    try:
        print(
            "| database | writers | chained events/s | plain inserts/s | chained mean ms | plain mean ms | chain cost per sign-in ms |"
        )
        print("|---|---|---|---|---|---|---|")
        for name, url in targets:
            await migrate(url)
            for writers in (1, 8, 32):
                r = await measure(url, writers, args.events, kek)
                print(
                    f"| {name} | {writers} | {r['chained_per_s']:.0f} | {r['plain_per_s']:.0f} | "
                    f"{r['chained_mean_ms']:.2f} | {r['plain_mean_ms']:.2f} | {r['per_sign_in_ms']:.2f} |"
                )
    finally:
        await drop_postgres_database(pg)


if __name__ == "__main__":
    asyncio.run(main())

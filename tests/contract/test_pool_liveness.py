"""Without ``pool_pre_ping``: a pooled PostgreSQL connection the server closed is replaced at checkout.

The server ends every idle connection of the pool (as a failover or an idle time-out would); the next
transactions, reads and writes, must succeed on fresh connections without a failed request in between.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tokenward.adapters.sql import Database


async def _backend_pids(db: Database, count: int) -> list[int]:
    """Open ``count`` pooled connections at once and return their server process ids."""
    ready = asyncio.Event()
    pids: list[int] = []

    async def hold() -> None:
        async with db.read() as conn:
            pids.append(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            if len(pids) == count:
                ready.set()
            await ready.wait()

    await asyncio.gather(*(hold() for _ in range(count)))
    return pids


@pytest.mark.postgres
async def test_connections_closed_by_the_server_are_replaced_without_a_failed_request(
    postgres_url: str,
) -> None:
    url = await create_fresh_postgres_database(postgres_url)
    db = Database(url, pool_size=3, max_overflow=0)
    other = Database(url, pool_size=1, max_overflow=0)
    try:
        returned: list[Any] = []
        event.listen(
            db.engine.sync_engine, "checkin", lambda connection, _record: returned.append(connection)
        )
        pids = await _backend_pids(db, 3)
        async with other.read() as conn:
            for pid in pids:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(500):  # until this process has read each closed socket (no clock involved)
            if all(connection.driver_connection.is_closed() for connection in returned):
                break
            await asyncio.sleep(0.01)
        for _ in range(3):
            async with db.write() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
            async with db.read() as conn:
                assert int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()) not in pids
    finally:
        await db.dispose()
        await other.dispose()
        await drop_postgres_database(url)

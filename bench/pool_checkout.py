"""What a pooled PostgreSQL connection costs the refresh path: ``python -m bench.pool_checkout``.

Four loops of 3,000, CPU time of this process per iteration: a whole ``Database.raw_write`` transaction with
one statement (what a refresh's rotation runs in), a checkout and return of the SQLAlchemy pool it uses, and
the same two through asyncpg's own pool, the "second, asyncpg-only pool" that bench/README.md weighs. Needs
PostgreSQL on ``TOKENWARD_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.util.concurrency import greenlet_spawn

from bench.http import POSTGRES_BASE_URL
from tokenward.adapters.sql import Database

LOOPS = 3000


async def _per_iteration(step: Callable[[], Awaitable[object]]) -> float:
    for _ in range(50):
        await step()
    start = time.process_time()
    for _ in range(LOOPS):
        await step()
    return (time.process_time() - start) / LOOPS


async def main() -> None:
    url = POSTGRES_BASE_URL.replace("postgresql+asyncpg://", "postgresql://")
    db = Database(url)
    pool = await asyncpg.create_pool(url, min_size=4, max_size=20)

    async def raw_write() -> None:
        async with db.raw_write() as connection:
            await connection.execute("SELECT 1")

    async def checkout() -> None:
        pooled = await db.engine.raw_connection()
        await greenlet_spawn(pooled.close)

    async def asyncpg_transaction() -> None:
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT 1")

    async def asyncpg_acquire() -> None:
        async with pool.acquire():
            pass

    try:
        for name, step in (
            ("Database.raw_write, one statement", raw_write),
            ("SQLAlchemy pool checkout and return", checkout),
            ("asyncpg pool, transaction with one statement", asyncpg_transaction),
            ("asyncpg pool acquire and release", asyncpg_acquire),
        ):
            print(f"{name:48s} {await _per_iteration(step) * 1e6:6.0f} µs CPU")
    finally:
        await pool.close()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

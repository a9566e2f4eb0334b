"""Tokenward in-process with PostgreSQL and Redis behind fault proxies (``tests/faults/proxy.py``).

Each module gets one application (one start), a throw-away PostgreSQL database and its own health tracker, so
the log lines an outage writes can be counted. Time-outs are small (``FAULT_TIMEOUTS``) so that a stalled
dependency answers 503 within a second or two, and the rate limits are on (they are what needs Redis) but
high enough that the tests' own traffic never meets them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

import tokenward.adapters.health as health_module
from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tests.faults.proxy import FaultProxy
from tests.harness import RunningApp, make_settings, running_app
from tokenward.adapters.health import DependencyHealth

#: small enough that a stall costs a request about a second, large enough for a loaded test machine
FAULT_TIMEOUTS: dict[str, Any] = {
    "database_connect_timeout": 1.0,
    "database_statement_timeout": 1.0,
    "redis_timeout": 0.5,
}
#: the longest any request may take during an outage: a refused or broken connection, then one reconnect
#: that times out, plus room for a busy machine
LONGEST_OUTAGE_ANSWER = 2 * (1.0 + 1.0) + 2.0
HIGH_LIMITS: dict[str, Any] = {
    "rate_limits_enabled": True,
    "rate_limit_login": "100000/minute",
    "rate_limit_signup": "100000/minute",
    "rate_limit_refresh": "100000/minute",
    "rate_limit_revoke": "100000/minute",
    "account_limit_per_address": "100000/minute",
}


@dataclass
class FaultyStack:
    api: RunningApp
    database: FaultProxy
    redis: FaultProxy
    #: the test's own connection to the same Redis database, around the proxy
    redis_direct: Redis
    #: the throw-away database's URL, around the proxy
    database_url: str
    health: DependencyHealth


@asynccontextmanager
async def faulty_stack(
    data_dir: Path, postgres_url: str, redis_url: str, **overrides: Any
) -> AsyncIterator[FaultyStack]:
    database_proxy = await FaultProxy("127.0.0.1", make_url(postgres_url).port or 5432).start()
    redis_target = make_url(redis_url)
    redis_proxy = await FaultProxy(redis_target.host or "127.0.0.1", redis_target.port or 6379).start()
    database_url = await create_fresh_postgres_database(postgres_url)
    via_proxy = make_url(database_url).set(host="127.0.0.1", port=database_proxy.port)
    redis_db = redis_target.database or "0"
    settings = make_settings(
        data_dir,
        database_url=via_proxy.render_as_string(hide_password=False),
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/{redis_db}",
        background_tasks=False,
        **(FAULT_TIMEOUTS | HIGH_LIMITS | overrides),
    )
    health = DependencyHealth()
    redis_direct = Redis.from_url(redis_url)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(health_module, "_PROCESS_HEALTH", health)
            async with running_app(settings) as api:
                yield FaultyStack(api, database_proxy, redis_proxy, redis_direct, database_url, health)
    finally:
        await redis_proxy.close()
        await database_proxy.close()
        await redis_direct.flushdb()
        await redis_direct.aclose()
        await drop_postgres_database(database_url)


async def until(check: Callable[[], Awaitable[bool]], *, within: float) -> float:
    """Poll ``check`` (no fixed sleeps) until it is true; return how long that took, fail after ``within``."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > within:
            pytest.fail(f"not true within {within} s")
        await _pause()
    return time.monotonic() - start


async def _pause() -> None:
    await asyncio.sleep(0.02)


def log_events(text: str, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``text`` whose event is ``event``."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{") and f'"{event}"' in line:
            parsed = json.loads(line)
            if parsed.get("event") == event:
                lines.append(parsed)
    return lines

"""Memory: bytes per session in PostgreSQL and in Redis (server RSS under load is in the HTTP table).

PostgreSQL: the on-disk size (``pg_total_relation_size``: heap, indexes, TOAST) of the tables a sign-in writes,
before and after ``SESSIONS`` sign-ins, divided by ``SESSIONS``: once for the session itself (``sessions`` +
``refresh_tokens``) and once with the audit trail (``audit_events``) and the device record it leaves too.
Redis: an active session keeps nothing in Redis; ending one (``POST /v1/logout``) writes a deny-list entry
that lives until the session's last access token has expired. Measured with ``MEMORY USAGE`` on those keys.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bench.http import REDIS_PREFIX, REDIS_URL, backend_settings
from bench.report import Section, table
from bench.server import CHEAP_ARGON2, create_account, sign_in_many, tokenward_server

SESSIONS = 500
SESSION_TABLES = ("sessions", "refresh_tokens")
TRAIL_TABLES = ("audit_events", "known_devices")


async def _table_sizes(url: str) -> dict[str, int]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT relname, pg_total_relation_size(relid) FROM pg_catalog.pg_statio_user_tables")
            )
            return {name: int(size) for name, size in rows}
    finally:
        await engine.dispose()


def _redis_bytes() -> tuple[int, int]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=REDIS_PREFIX + "deny:*", count=1000))
        return len(keys), sum(int(client.memory_usage(key) or 0) for key in keys)
    finally:
        client.close()


def measure(sessions: int) -> dict[str, Any]:
    with backend_settings("postgres") as storage, tokenward_server({**CHEAP_ARGON2, **storage}) as server:
        url = storage["TOKENWARD_DATABASE_URL"]
        email = create_account(server)
        sign_in_many(server, email, 1)
        before = asyncio.run(_table_sizes(url))
        tokens = sign_in_many(server, email, sessions)
        after = asyncio.run(_table_sizes(url))
        with httpx.Client(base_url=server.base, headers={"User-Agent": "tokenward-bench/1.0"}) as client:
            for token in tokens[:100]:
                response = client.post(
                    "/v1/logout", headers={"Authorization": f"Bearer {token['access_token']}"}
                )
                response.raise_for_status()
        keys, redis_bytes = _redis_bytes()
    grown = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return {
        "sessions": sessions,
        "grown": grown,
        "session_bytes": sum(grown.get(name, 0) for name in SESSION_TABLES) / sessions,
        "with_trail_bytes": sum(grown.get(name, 0) for name in SESSION_TABLES + TRAIL_TABLES) / sessions,
        "redis_keys": keys,
        "redis_bytes_per_ended_session": redis_bytes / 100,
    }


def run(quick: bool) -> tuple[Section, dict[str, Any]]:
    result = measure(200 if quick else SESSIONS)
    section = Section("Memory per session", "bench/run --only memory" + (" --quick" if quick else ""))
    section.add(
        f"{result['sessions']} sign-ins on a fresh PostgreSQL database; table growth from `pg_total_relation_size` "
        "(8 KiB pages, so small counts round up). Keycloak budgets about 5-17 KB of memory per session."
    )
    rows: list[list[object]] = [
        [f"PostgreSQL, {name}", f"{result['grown'].get(name, 0) / result['sessions']:,.0f}"]
        for name in SESSION_TABLES + TRAIL_TABLES
    ]
    rows.append(["PostgreSQL, session (sessions + refresh_tokens)", f"**{result['session_bytes']:,.0f}**"])
    rows.append(["PostgreSQL, with audit trail and device record", f"{result['with_trail_bytes']:,.0f}"])
    rows.append(["Redis, active session", "0 (nothing is stored)"])
    rows.append(
        [
            f"Redis, ended session (deny-list; {result['redis_keys']} keys for 100 logouts)",
            f"{result['redis_bytes_per_ended_session']:,.0f}",
        ]
    )
    section.add(table(["where", "bytes per session"], rows))
    return section, result

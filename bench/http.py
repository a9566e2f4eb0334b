"""Refresh and introspection over HTTP: embedded default and PostgreSQL + Redis, 1 and 2 server processes.

Each run: a fresh server (and a fresh PostgreSQL database), one account with as many sessions as the load
generator has connections, then ``duration`` seconds of closed-loop load. Reported: requests/s, requests/s per
core the server used (its CPU seconds over the run), p50/p99, errors (any answer but the expected 200), the
server's RSS and the load generator's own CPU share.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from tests.databases import create_fresh_postgres_database, drop_postgres_database

from bench.report import Section, errors_cell, ms, rate, table
from bench.server import (
    CHEAP_ARGON2,
    PASSWORD,
    LoadResult,
    Server,
    baseline_server,
    create_account,
    create_api_client,
    run_load,
    sign_in_many,
    tokenward_server,
)

POSTGRES_BASE_URL = os.environ.get(
    "TOKENWARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
#: the benchmarks' own Redis database; only keys under Tokenward's prefixes are created and removed
REDIS_URL = os.environ.get("TOKENWARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
REDIS_PREFIX = "tokenward:"
CONNECTIONS = 32
REFRESH_GOAL_PER_CORE = 1000
INTROSPECTION_GOAL_PER_CORE = 3000


def _clear_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=REDIS_PREFIX + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def backend_settings(backend: str) -> Iterator[dict[str, str]]:
    """Settings for ``sqlite`` (the embedded default: nothing configured) or ``postgres`` (+ Redis)."""
    if backend == "sqlite":
        yield {}
        return
    url = asyncio.run(create_fresh_postgres_database(POSTGRES_BASE_URL))
    _clear_redis()
    try:
        yield {"TOKENWARD_DATABASE_URL": url, "TOKENWARD_REDIS_URL": REDIS_URL}
    finally:
        asyncio.run(drop_postgres_database(url))
        _clear_redis()


@contextmanager
def prepared(
    scenario: str,
    backend: str,
    *,
    workers: int,
    sessions: int = CONNECTIONS,
    settings: dict[str, str] | None = None,
) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A running server with ``sessions`` sessions and the load generator's spec for ``scenario``."""
    # sign-in is measured with the server's own (OWASP) Argon2 parameters; elsewhere it is only the set-up
    hashing = {} if scenario == "login" else CHEAP_ARGON2
    with (
        backend_settings(backend) as storage,
        tokenward_server({**hashing, **storage, **(settings or {})}, workers=workers) as server,
    ):
        email = create_account(server)
        tokens = sign_in_many(server, email, 1 if scenario == "login" else sessions)
        if scenario == "login":
            data: dict[str, Any] = {"email": email, "password": PASSWORD}
        elif scenario == "refresh":
            data = {"refresh_tokens": [t["refresh_token"] for t in tokens]}
        elif scenario == "introspect":
            data = {"basic": create_api_client(server), "access_tokens": [t["access_token"] for t in tokens]}
        else:
            raise ValueError(scenario)
        yield server, {"scenario": scenario, "connections": sessions, "data": data}


def load(server: Server, spec: dict[str, Any]) -> LoadResult:
    return run_load(server, spec)


def measure(scenario: str, backend: str, workers: int, duration: float) -> dict[str, Any]:
    with prepared(scenario, backend, workers=workers) as (server, spec):
        result = load(server, {**spec, "duration": duration})
    return {"scenario": scenario, "backend": backend, "workers": workers, "result": result}


def measure_baseline(http: str, workers: int, duration: float) -> dict[str, Any]:
    """The HTTP ceiling: ``bench.baseline_app`` answering the introspection request with ``{"active":true}``."""
    spec = {"scenario": "introspect", "connections": CONNECTIONS, "duration": duration}
    spec["data"] = {"basic": "none", "access_tokens": ["none"] * CONNECTIONS}
    with baseline_server(workers=workers, http=http) as server:
        result = run_load(server, spec)
    return {"scenario": f"HTTP ceiling ({http})", "backend": "-", "workers": workers, "result": result}


def run(quick: bool) -> tuple[Section, list[dict[str, Any]]]:
    duration = 5.0 if quick else 30.0
    baseline_duration = 5.0 if quick else 10.0
    runs = [measure_baseline("httptools", workers, baseline_duration) for workers in (1, 2)]
    runs.append(measure_baseline("h11", 1, baseline_duration))
    runs += [
        measure(scenario, backend, workers, duration)
        for scenario in ("refresh", "introspect")
        for backend in ("sqlite", "postgres")
        for workers in (1, 2)
    ]
    section = Section(
        "Refresh and introspection over HTTP", "bench/run --only http" + (" --quick" if quick else "")
    )
    section.add(
        f"Closed loop, {CONNECTIONS} connections (one session each), {duration:.0f} s measured after 2 s of "
        "warm-up. `sqlite` is the embedded default (nothing configured); `postgres` is PostgreSQL + Redis. "
        "Per core = requests/s divided by the cores the server processes kept busy (their CPU seconds per "
        "wall second). Rate limits off, Argon2 cheap (sign-in is only the set-up here). Goals: refresh "
        f"≥ {REFRESH_GOAL_PER_CORE}/s per core on PostgreSQL, introspection ≥ {INTROSPECTION_GOAL_PER_CORE}/s "
        "per core, zero errors over ≥ 30 s. The HTTP ceiling rows are the smallest ASGI app under the same uvicorn "
        "(`bench/baseline_app.py`, same request, same load generator): what no endpoint can beat here. "
        "`tokenward serve` runs uvicorn's httptools with a bound on buffered request heads "
        "(`tokenward.http_server`); the h11 row shows what the slower, bounded-by-itself parser would cost."
    )
    rows = []
    for item in runs:
        result: LoadResult = item["result"]
        loadgen = result.load
        rows.append(
            [
                item["scenario"],
                item["backend"],
                item["workers"],
                rate(loadgen["throughput"]),
                f"{result.server_cores:.2f}",
                rate(result.per_core),
                ms(loadgen["p50"]),
                ms(loadgen["p99"]),
                errors_cell(loadgen),
                f"{result.rss_max / 2**20:.0f}",
                f"{loadgen['cpu_share']:.2f}",
            ]
        )
    section.add(
        table(
            [
                "scenario",
                "storage",
                "processes",
                "req/s",
                "server cores busy",
                "req/s per core",
                "p50 ms",
                "p99 ms",
                "errors / requests",
                "server RSS max MiB",
                "load generator CPU (cores)",
            ],
            rows,
        )
    )
    return section, runs

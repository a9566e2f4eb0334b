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
    lean_server,
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
LEAN_RATIO_GOAL = 0.6
REFRESH_P99_GOAL_MS = 50
RSS_GOAL_MIB = 150
LEAN = "refresh (lean yardstick)"


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
    spare_sessions: int = 0,
) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A running server with ``sessions`` sessions and the load generator's spec for ``scenario``; with
    ``spare_sessions``, that many more refresh tokens in ``spec["spare"]`` (for the lean yardstick)."""
    # sign-in is measured with the server's own (OWASP) Argon2 parameters; elsewhere it is only the set-up
    hashing = {} if scenario == "login" else CHEAP_ARGON2
    with (
        backend_settings(backend) as storage,
        tokenward_server({**hashing, **storage, **(settings or {})}, workers=workers) as server,
    ):
        email = create_account(server)
        tokens = sign_in_many(server, email, 1 if scenario == "login" else sessions + spare_sessions)
        spare = [t["refresh_token"] for t in tokens[sessions:]]
        tokens = tokens[:sessions]
        if scenario == "login":
            data: dict[str, Any] = {"email": email, "password": PASSWORD}
        elif scenario == "refresh":
            data = {"refresh_tokens": [t["refresh_token"] for t in tokens]}
        elif scenario == "introspect":
            data = {"basic": create_api_client(server), "access_tokens": [t["access_token"] for t in tokens]}
        else:
            raise ValueError(scenario)
        yield server, {"scenario": scenario, "connections": sessions, "data": data, "spare": spare}


def load(server: Server, spec: dict[str, Any]) -> LoadResult:
    return run_load(server, spec)


def measure(scenario: str, backend: str, workers: int, duration: float) -> dict[str, Any]:
    with prepared(scenario, backend, workers=workers) as (server, spec):
        result = load(server, {**spec, "duration": duration})
    return {"scenario": scenario, "backend": backend, "workers": workers, "result": result}


def measure_refresh_with_yardstick(workers: int, duration: float) -> list[dict[str, Any]]:
    """Refresh on PostgreSQL, then the lean yardstick (``bench.lean_app``) on the same database with sessions
    signed in through Tokenward: the same work done by the least code, measured minutes apart."""
    with prepared("refresh", "postgres", workers=workers, spare_sessions=2 * CONNECTIONS) as (server, spec):
        spare = spec.pop("spare")
        tokenward = load(server, {**spec, "duration": duration})
        # latency at 80% of the capacity just measured, on sessions not used yet (open loop)
        at_80 = load(
            server,
            {
                **spec,
                "data": {"refresh_tokens": spare[CONNECTIONS:]},
                "rate": 0.8 * tokenward.load["throughput"],
                "duration": duration,
            },
        )
        lean_spec = {**spec, "data": {"refresh_tokens": spare[:CONNECTIONS]}, "duration": duration}
        with lean_server(server.env, workers=workers) as lean:
            yardstick = load(lean, lean_spec)
    return [
        {"scenario": "refresh", "backend": "postgres", "workers": workers, "result": tokenward},
        {
            "scenario": "refresh at 80% (open loop)",
            "backend": "postgres",
            "workers": workers,
            "result": at_80,
        },
        {"scenario": LEAN, "backend": "postgres", "workers": workers, "result": yardstick},
    ]


def _find(runs: list[dict[str, Any]], scenario: str, backend: str, workers: int) -> LoadResult:
    return next(
        r["result"]
        for r in runs
        if (r["scenario"], r["backend"], r["workers"]) == (scenario, backend, workers)
    )


def goals(runs: list[dict[str, Any]]) -> str:
    """Each goal of the HTTP paths on PostgreSQL, with its figure and whether it is met in this run."""
    rows = []
    for workers in (1, 2):
        refresh = _find(runs, "refresh", "postgres", workers)
        lean = _find(runs, LEAN, "postgres", workers)
        at_80 = _find(runs, "refresh at 80% (open loop)", "postgres", workers)
        introspect = _find(runs, "introspect", "postgres", workers)
        ratio = refresh.per_core / lean.per_core
        checks = [
            ("refresh per core", f"≥ {REFRESH_GOAL_PER_CORE}", refresh.per_core, REFRESH_GOAL_PER_CORE),
            ("refresh / lean yardstick per core", f"≥ {LEAN_RATIO_GOAL}", ratio, LEAN_RATIO_GOAL),
            (
                "introspection per core",
                f"≥ {INTROSPECTION_GOAL_PER_CORE}",
                introspect.per_core,
                INTROSPECTION_GOAL_PER_CORE,
            ),
        ]
        for name, goal, value, floor in checks:
            shown = f"{value:.2f}" if value < 10 else rate(value)
            rows.append([name, workers, goal, shown, "met" if value >= floor else "not met"])
        p99 = at_80.load["p99"] * 1000
        rows.append(
            [
                "refresh p99 at 80% load (ms)",
                workers,
                f"< {REFRESH_P99_GOAL_MS}",
                f"{p99:.1f}",
                "met" if p99 < REFRESH_P99_GOAL_MS else "not met",
            ]
        )
        errors = sum(
            r["result"].load["error_count"]
            for r in runs
            if r["workers"] == workers and r["backend"] == "postgres"
        )
        rows.append(["errors (PostgreSQL runs)", workers, "0", errors, "met" if errors == 0 else "not met"])
        rss = max(refresh.rss_max, introspect.rss_max) / 2**20 / (workers + 1 if workers > 1 else 1)
        rows.append(
            [
                "server RSS per process (MiB)",
                workers,
                f"≤ {RSS_GOAL_MIB}",
                f"{rss:.0f}",
                "met" if rss <= RSS_GOAL_MIB else "not met",
            ]
        )
    return table(["goal", "processes", "goal", "this run", "met?"], rows)


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
    runs += [measure("refresh", "sqlite", workers, duration) for workers in (1, 2)]
    for workers in (1, 2):
        runs += measure_refresh_with_yardstick(workers, duration)
    runs += [
        measure("introspect", backend, workers, duration)
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
    section.add(
        "Goals (PostgreSQL + Redis). The lean yardstick (`bench/lean_app.py`) does the same rotation with the "
        "least code: raw ASGI under the same uvicorn/httptools, asyncpg, one CTE statement in one transaction, "
        "an ES256 access token of the same format signed with `cryptography`, on sessions Tokenward signed in. "
        "Its ratio compares requests per core of server CPU (read from `/proc`) within this run. RSS per process "
        "divides the processes' total by their count (the supervisor counts with `--workers 2`)."
    )
    section.add(goals(runs))
    return section, runs

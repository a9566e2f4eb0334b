"""Sign-in: password sign-ins/s over HTTP against the bare Argon2id ceiling, and latency under load.

The ceiling is measured first, in the same run on the same cores: ``argon2-cffi`` verifying a hash made with the
server's parameters (OWASP defaults: m=19 MiB, t=2, p=1) in as many threads as the server hashes concurrently
(``TOKENWARD_HASH_CONCURRENCY``, default 2), with nothing else running. Then a server with the same defaults takes
closed-loop sign-ins (its capacity), then open-loop sign-ins at 50%, 80% and 100% of that capacity: first on
PostgreSQL + Redis (where the goals are judged, as for every other goal of issue 11), then on the embedded
default.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from argon2 import PasswordHasher

from bench.http import backend_settings
from bench.report import Section, errors_cell, ms, pct, rate, table
from bench.server import PASSWORD, create_account, run_load, tokenward_server

MEMORY_KIB = 19456
TIME_COST = 2
PARALLELISM = 1
HASH_CONCURRENCY = 2
CAPACITY_GOAL = 0.85
P99_GOAL_HASHES = 4
LOAD_LEVELS = (0.5, 0.8, 1.0)
BACKENDS = (("postgres", "PostgreSQL + Redis"), ("sqlite", "Embedded default (SQLite)"))


def hashing_ceiling(seconds: float, threads: int) -> dict[str, float]:
    """Argon2id verifications/s in ``threads`` threads, per CPU-second of this process, and the median time of
    one (single thread)."""
    hasher = PasswordHasher(memory_cost=MEMORY_KIB, time_cost=TIME_COST, parallelism=PARALLELISM)
    stored = hasher.hash(PASSWORD)
    singles = []
    for _ in range(10):
        start = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        singles.append(time.perf_counter() - start)
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(index: int) -> None:
        while time.perf_counter() < deadline:
            hasher.verify(stored, PASSWORD)
            counts[index] += 1

    start = time.perf_counter()
    cpu_start = time.process_time()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {
        "rate": sum(counts) / (time.perf_counter() - start),
        "per_cpu_second": sum(counts) / (time.process_time() - cpu_start),
        "hash_time": statistics.median(singles),
    }


def measure(backend: str, duration: float) -> list[tuple[str, Any]]:
    """Closed-loop capacity, then open loop at each of ``LOAD_LEVELS`` of it, on one backend."""
    runs: list[tuple[str, Any]] = []
    with backend_settings(backend) as settings, tokenward_server(settings) as server:
        email = create_account(server)
        spec = {"scenario": "login", "connections": 8, "data": {"email": email, "password": PASSWORD}}
        capacity = run_load(server, {**spec, "duration": duration})
        runs.append(("closed loop (capacity)", capacity))
        peak = capacity.load["throughput"]
        for level in LOAD_LEVELS:
            runs.append(
                (
                    f"open loop {pct(level)}",
                    run_load(server, {**spec, "connections": 16, "rate": peak * level, "duration": duration}),
                )
            )
    return runs


def run(quick: bool) -> tuple[Section, dict[str, Any]]:
    duration = 6.0 if quick else 15.0
    ceiling = hashing_ceiling(duration / 2, HASH_CONCURRENCY)
    hash_ms = ceiling["hash_time"]
    section = Section(
        "Sign-in (password, Argon2id OWASP defaults)",
        "bench/run --only signin" + (" --quick" if quick else ""),
    )
    section.add(
        f"Ceiling: {rate(ceiling['rate'])} Argon2id verifications/s in {HASH_CONCURRENCY} threads "
        f"(m={MEMORY_KIB} KiB, t={TIME_COST}, p={PARALLELISM}), {ceiling['per_cpu_second']:.1f} per CPU-second; "
        f"one verification takes {ms(hash_ms)} ms. The goals are judged on PostgreSQL + Redis, the set-up of "
        "several processes; the embedded default (SQLite, in-process stores) is measured too."
    )
    results: dict[str, Any] = {"ceiling": ceiling}
    for backend, title in BACKENDS:
        runs = measure(backend, duration)
        capacity = runs[0][1]
        peak = capacity.load["throughput"]
        # per CPU-second: what the server spends besides the hash, whatever else the machine ran
        per_cpu = capacity.load["throughput"] / capacity.server_cores / ceiling["per_cpu_second"]
        p99_at_80 = runs[2][1].load["p99"]
        results[backend] = {"capacity": peak, "ratio": peak / ceiling["rate"], "per_cpu_ratio": per_cpu}
        section.add(
            f"**{title}.** HTTP capacity: {peak:.1f} sign-ins/s = **{peak / ceiling['rate']:.2f} of the "
            f"ceiling**; per CPU-second {capacity.load['throughput'] / capacity.server_cores:.1f} sign-ins "
            f"against {ceiling['per_cpu_second']:.1f} bare verifications = **{per_cpu:.2f}** (goal ≥ "
            f"{CAPACITY_GOAL} per CPU-second: {'met' if per_cpu >= CAPACITY_GOAL else 'not met'}). p99 at 80% "
            f"load: {ms(p99_at_80)} ms = **{p99_at_80 / hash_ms:.1f} hash times** (goal < {P99_GOAL_HASHES}: "
            f"{'met' if p99_at_80 / hash_ms < P99_GOAL_HASHES else 'not met'})."
        )
        section.add(_table(runs, hash_ms))
    return section, results


def _table(runs: list[tuple[str, Any]], hash_ms: float) -> str:
    rows = [
        [
            name,
            f"{result.load['rate']:.1f}" if result.load["rate"] else "-",
            f"{result.load['throughput']:.1f}",
            ms(result.load["p50"]),
            ms(result.load["p99"]),
            f"{result.load['p99'] / hash_ms:.1f}",
            errors_cell(result.load),
            f"{result.server_cores:.2f}",
            f"{result.load['cpu_share']:.3f}",
        ]
        for name, result in runs
    ]
    return table(
        [
            "load",
            "offered /s",
            "sign-ins/s",
            "p50 ms",
            "p99 ms",
            "p99 in hash times",
            "errors / requests",
            "server cores busy",
            "load generator CPU (cores)",
        ],
        rows,
    )

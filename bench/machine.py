"""What the figures were measured on: CPU, cores, Python and the libraries on the hot paths."""

from __future__ import annotations

import os
import platform
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

LIBRARIES = (
    "tokenward",
    "cryptography",
    "joserfc",
    "pyjwt",
    "argon2-cffi",
    "argon2-cffi-bindings",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "redis",
    "pydantic",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def openssl_version() -> str:
    from cryptography.hazmat.backends.openssl.backend import backend

    return str(backend.openssl_version_text())


def describe() -> dict[str, str]:
    """The machine and software, as rows for the results table."""
    rows = {
        "CPU": cpu_model(),
        "cores (os.cpu_count)": str(os.cpu_count()),
        "cores usable (sched_getaffinity)": str(len(os.sched_getaffinity(0))),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "kernel": platform.release(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OpenSSL (cryptography)": openssl_version(),
    }
    for name in LIBRARIES:
        try:
            rows[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            rows[name] = "not installed"
    return rows


def _spin(seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def available_cores(seconds: float = 1.0) -> float:
    """Cores this run actually gets: one busy process per core, CPU seconds received per wall second.

    The machine is shared; on a quiet machine this is the core count, on a busy one less, and every HTTP figure
    should be read against it.
    """
    count = os.cpu_count() or 1
    with ProcessPoolExecutor(count) as pool:
        list(pool.map(_spin, [0.01] * count))  # start the workers first
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        list(pool.map(_spin, [seconds] * count))
        wall = time.perf_counter() - start
    # children's CPU is counted once they exit, which leaving the pool's block waits for
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return used / wall

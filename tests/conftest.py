"""Shared fixtures: frozen clock, cheap Argon2 parameters, and the real PostgreSQL and Redis servers.

Tests that need PostgreSQL or Redis use the ``postgres_url`` / ``redis_url`` fixtures. Without the server they
are skipped with a message saying what to start; under CI (``CI=true``) that skip becomes a failure, so a
CI run can never pass without having run them.
"""

from __future__ import annotations

import os
import socket

import pytest

from tokenward.domain.clock import FrozenClock

POSTGRES_URL = os.environ.get(
    "TOKENWARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TOKENWARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _require_service(name: str, host: str, port: int, start_hint: str) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not answering on {host}:{port}; start it with: {start_hint}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL test database (skipped without it; a failure under CI)."""
    _require_service(
        "PostgreSQL",
        "127.0.0.1",
        5432,
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server, database 15 (skipped without it; a failure under CI)."""
    _require_service(
        "Redis",
        "127.0.0.1",
        6379,
        'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    )
    return REDIS_URL


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(autouse=True)
def _no_ambient_tokenward_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their settings explicitly; a developer's TOKENWARD_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith("TOKENWARD_") and not name.startswith("TOKENWARD_TEST_"):
            monkeypatch.delenv(name, raising=False)

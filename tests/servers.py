"""Start real ``tokenward serve`` processes for end-to-end tests, and stop them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

#: cheap hashing for speed; the hashing tests use the OWASP parameters themselves
CHEAP_ARGON2 = {"TOKENWARD_ARGON2_MEMORY_KIB": "64", "TOKENWARD_ARGON2_TIME_COST": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def tokenward_server(
    workdir: Path,
    settings: Mapping[str, str] | None = None,
    *,
    port: int | None = None,
    host_name: str = "127.0.0.1",
    set_issuer: bool = True,
) -> Iterator[str]:
    """Run ``tokenward serve`` in ``workdir`` with only ``settings`` (plus cheap Argon2) in its environment.

    Yields the base URL (``http://<host_name>:<port>``) once ``/readyz`` answers 200; stops the process with
    SIGINT (like Ctrl-C) afterwards. ``set_issuer=False`` leaves the issuer unset, for the server to choose.
    """
    port = port or free_port()
    base = f"http://{host_name}:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    env.update(CHEAP_ARGON2)
    if set_issuer:
        env["TOKENWARD_ISSUER"] = base
    env.update(settings or {})
    log_path = workdir / f"server-{port}.log"
    tokenward = Path(sys.executable).with_name("tokenward")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(tokenward), "serve", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_until_ready(process, f"http://127.0.0.1:{port}", log_path)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("tokenward serve exited: " + log_path.read_text())
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("tokenward serve did not become ready: " + log_path.read_text())


@contextmanager
def shared_stores(postgres_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    """What processes behind one load balancer share: a fresh PostgreSQL database, Redis and one KEK.

    Yields their settings; afterwards drops the database and deletes the Redis keys Tokenward made (rate-limit
    windows live up to an hour and would otherwise meet the next run).
    """
    import asyncio
    import base64
    import secrets

    import redis

    from tests.databases import create_fresh_postgres_database, drop_postgres_database

    database_url = asyncio.run(create_fresh_postgres_database(postgres_url))
    try:
        yield {
            "TOKENWARD_DATABASE_URL": database_url,
            "TOKENWARD_REDIS_URL": redis_url,
            "TOKENWARD_KEK": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
    finally:
        asyncio.run(drop_postgres_database(database_url))
        client = redis.Redis.from_url(redis_url)
        try:
            for pattern in ("tokenward-limits*", "tokenward:*"):
                keys = list(client.scan_iter(pattern))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()


@contextmanager
def two_tokenward_servers(
    tmp_path_factory: pytest.TempPathFactory, settings: Mapping[str, str]
) -> Iterator[tuple[str, str]]:
    """Two ``tokenward serve`` processes with the same settings, each in its own working directory."""
    with ExitStack() as stack:
        first = stack.enter_context(tokenward_server(tmp_path_factory.mktemp("a"), settings))
        second = stack.enter_context(tokenward_server(tmp_path_factory.mktemp("b"), settings))
        yield first, second

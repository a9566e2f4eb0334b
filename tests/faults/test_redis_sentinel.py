"""Redis through Sentinel: promoting the replica keeps rate limits and revocations working, after a few 503s.

The test starts its own Redis primary, a replica and one Sentinel on free ports (temporary folders, no
persistence), points Tokenward at ``redis+sentinel://…/tokenward`` and asks the Sentinel to fail over
(``SENTINEL FAILOVER``): the replica becomes the primary and the old primary its replica. Tokenward is not
restarted and its configuration does not change.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.faults.conftest import until
from tests.harness import RunningApp, bearer, make_settings, running_app
from tests.servers import free_port

pytestmark = [pytest.mark.redis]

SERVICE = "tokenward"
LOGIN_LIMIT = 60


@dataclass
class Sentinelled:
    primary: int
    replica: int
    sentinel: int


def _redis_server(folder: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sentinelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sentinelled]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    root = tmp_path_factory.mktemp("sentinel")
    ports = Sentinelled(free_port(), free_port(), free_port())
    config = root / "sentinel.conf"
    config.write_text(
        f"port {ports.sentinel}\nbind 127.0.0.1\ndir {root}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {ports.primary} 1\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 5000\n"
    )
    processes = [
        _redis_server(root / "primary", ports.primary),
        _redis_server(root / "replica", ports.replica, "--replicaof", "127.0.0.1", str(ports.primary)),
        subprocess.Popen(
            ["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ),
    ]
    try:
        yield ports
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()


async def _command(port: int, *args: str) -> object:
    client = Redis(host="127.0.0.1", port=port, decode_responses=True)
    try:
        return await client.execute_command(*args)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    finally:
        await client.aclose()


async def _answers(port: int, *args: str) -> object | None:
    with contextlib.suppress(OSError, RedisError):
        return await _command(port, *args)
    return None


async def _primary_port(sentinel: int) -> int | None:
    address = await _answers(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
    return int(address[1]) if isinstance(address, list) and len(address) == 2 else None


async def _replica_known(ports: Sentinelled) -> bool:
    replicas = await _answers(ports.sentinel, "SENTINEL", "REPLICAS", SERVICE)
    if not isinstance(replicas, list) or not replicas:
        return False
    flags = set(str(replicas[0].get("flags", "")).split(","))
    info = await _answers(ports.replica, "INFO", "replication")
    healthy = "slave" in flags and not flags & {"s_down", "o_down", "disconnected"}
    return healthy and isinstance(info, dict) and info.get("master_link_status") == "up"


@pytest.fixture(scope="module")
async def api(
    tmp_path_factory: pytest.TempPathFactory, sentinelled: Sentinelled
) -> AsyncIterator[RunningApp]:
    await until(lambda: _replica_known(sentinelled), within=30)
    settings = make_settings(
        tmp_path_factory.mktemp("sentinel-app"),
        redis_url=f"redis+sentinel://127.0.0.1:{sentinelled.sentinel}/{SERVICE}",
        redis_timeout=0.5,
        rate_limits_enabled=True,
        rate_limit_login=f"{LOGIN_LIMIT}/minute",
        account_limit_per_address="1000/minute",
    )
    async with running_app(settings) as running:
        yield running


def _remaining(response: httpx.Response) -> int:
    """``r`` of the ``RateLimit`` header: what is left of the sign-in limit."""
    return int(response.headers["ratelimit"].split(";r=")[1].split(";")[0])


async def test_a_failover_keeps_rate_limits_and_revocations(
    api: RunningApp, sentinelled: Sentinelled
) -> None:
    email, pair = await api.new_user()
    before = await api.attempt_login(email)
    assert before.status_code == 200
    revoked = before.json()["access_token"]
    assert (await api.client.post("/oauth/revoke", data={"token": revoked})).status_code == 200
    assert (await api.client.get("/v1/me", headers=bearer(revoked))).status_code == 401
    # what is written is on the replica before the failover (WAIT: acknowledged by one replica)
    assert await _command(sentinelled.primary, "WAIT", "1", "2000") == 1

    assert await _command(sentinelled.sentinel, "SENTINEL", "FAILOVER", SERVICE) == "OK"
    # a client signing in all through the failover, waiting as long as each 503 asks
    statuses: list[int] = []

    async def promoted_and_served() -> bool:
        response = await api.attempt_login(email)
        statuses.append(response.status_code)
        if response.status_code == 503:
            await asyncio.sleep(int(response.headers["retry-after"]))
        promoted = await _primary_port(sentinelled.sentinel) == sentinelled.replica
        return promoted and response.status_code == 200

    await until(promoted_and_served, within=30)
    assert set(statuses) <= {200, 503}
    assert statuses.count(503) <= 3

    # the sign-in limit kept counting across the failover, and still refuses once spent
    after = await api.attempt_login(email)
    assert _remaining(after) < _remaining(before) - 1
    for _ in range(LOGIN_LIMIT):
        if (await api.attempt_login(email)).status_code == 429:
            break
    else:
        pytest.fail("the sign-in limit no longer refuses after the failover")
    # the revoked token is still refused, the others still accepted
    assert (await api.client.get("/v1/me", headers=bearer(revoked))).status_code == 401
    assert (await api.client.get("/v1/me", headers=bearer(pair["access_token"]))).status_code == 200
    assert await asyncio.wait_for(_primary_port(sentinelled.sentinel), 5) == sentinelled.replica

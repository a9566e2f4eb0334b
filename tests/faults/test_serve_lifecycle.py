"""``tokenward serve`` as a process: start-up waits for the database, error answers keep the connection, a
Redis restart costs no request, and SIGTERM answers what was received and exits 0.

The database sits behind the fault proxy, which runs on the test's event loop, so the server process is
driven with asyncio (never a blocking wait that would freeze the proxy). One server is started for the
module; the first test starts a second process that never gets its database and gives up. The server runs
on uvloop, as in production, which the in-process tests do not.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tests.faults.conftest import log_events, until
from tests.faults.proxy import FaultProxy
from tests.harness import STRONG_PASSWORD
from tests.servers import CHEAP_ARGON2, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SHUTDOWN_GRACE = 5


@dataclass
class Served:
    base: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path
    database: FaultProxy
    redis: FaultProxy
    redis_direct: Redis

    def log(self) -> str:
        return self.log_path.read_text()


async def _start(workdir: Path, settings: dict[str, str]) -> tuple[asyncio.subprocess.Process, int, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    env |= CHEAP_ARGON2 | {
        "TOKENWARD_ISSUER": f"http://127.0.0.1:{port}",
        "TOKENWARD_BACKGROUND_TASKS": "false",
    }
    env |= settings
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("tokenward")),
            "serve",
            "--port",
            str(port),
            cwd=workdir,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    return process, port, log_path


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture(scope="module")
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    url = await create_fresh_postgres_database(postgres_url)
    yield url
    await drop_postgres_database(url)


@pytest.fixture(scope="module")
async def served(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str
) -> AsyncIterator[Served]:
    """A server started while its database refuses connections; the database appears once it waits."""
    proxy = await FaultProxy("127.0.0.1", make_url(database_url).port or 5432).start()
    await proxy.refuse()
    via_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    redis_target = make_url(redis_url)
    redis_proxy = await FaultProxy(redis_target.host or "127.0.0.1", redis_target.port or 6379).start()
    redis_direct = Redis.from_url(redis_url)
    process, port, log_path = await _start(
        tmp_path_factory.mktemp("serve"),
        {
            "TOKENWARD_DATABASE_URL": via_proxy.render_as_string(hide_password=False),
            "TOKENWARD_STARTUP_TIMEOUT": "60",
            "TOKENWARD_SHUTDOWN_GRACE": str(SHUTDOWN_GRACE),
            "TOKENWARD_DATABASE_CONNECT_TIMEOUT": "1",
            "TOKENWARD_DATABASE_STATEMENT_TIMEOUT": "20",
            "TOKENWARD_REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/{redis_target.database or 0}",
            "TOKENWARD_RATE_LIMIT_LOGIN": "100000/minute",
            "TOKENWARD_RATE_LIMIT_SIGNUP": "100000/minute",
            "TOKENWARD_ACCOUNT_LIMIT_PER_ADDRESS": "100000/minute",
        },
    )
    served = Served(f"http://127.0.0.1:{port}", port, process, log_path, proxy, redis_proxy, redis_direct)
    try:
        yield served
    finally:
        await _stop(process)
        await proxy.close()
        await redis_proxy.close()
        await redis_direct.flushdb()
        await redis_direct.aclose()


async def _ready(base: str) -> bool:
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(f"{base}/readyz", timeout=2)).status_code == 200
        except httpx.TransportError:
            return False


async def test_start_up_gives_up_after_its_timeout_with_its_own_exit_code(tmp_path: Path) -> None:
    closed_port = free_port()
    process, _, log_path = await _start(
        tmp_path,
        {
            "TOKENWARD_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port}/tokenward",
            "TOKENWARD_STARTUP_TIMEOUT": "1",
        },
    )
    try:
        status = await asyncio.wait_for(process.wait(), 30)
    finally:
        await _stop(process)
    message = log_path.read_text()
    assert status == 3, message
    assert f"the database at 127.0.0.1:{closed_port} did not answer within 1 s" in message
    assert "ConnectionRefusedError" in message
    assert "configuration refused" not in message


async def test_start_up_waits_for_the_database(served: Served) -> None:
    async def waiting() -> bool:
        assert served.process.returncode is None, served.log()
        return bool(log_events(served.log(), "dependency_down"))

    await until(waiting, within=30)
    await served.database.pass_through()
    await until(lambda: _ready(served.base), within=30)
    down = log_events(served.log(), "dependency_down")
    assert [line["dependency"] for line in down] == ["database"]


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    await writer.drain()
    return await _response(reader)


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def _access_token(base: str) -> str:
    email = f"serve-{time.monotonic_ns()}@example.com"
    async with httpx.AsyncClient(base_url=base) as client:
        signup = await client.post("/v1/signup", json={"email": email, "password": STRONG_PASSWORD})
        assert signup.status_code == 202, signup.text
        login = await client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
        assert login.status_code == 200, login.text
        token: str = login.json()["access_token"]
        return token


def _get_me(token: str) -> bytes:
    return f"GET /v1/me HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


async def test_an_error_answer_keeps_the_keep_alive_connection(served: Served) -> None:
    token = await _access_token(served.base)
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    await served.database.refuse()
    try:
        first = await _exchange(reader, writer, _get_me(token))
        second = await _exchange(reader, writer, _get_me(token))
    finally:
        await served.database.pass_through()
    try:
        for status, headers, _ in (first, second):
            assert status == 503
            assert headers["retry-after"] == "1"
            assert headers.get("connection") != "close"
        await until(lambda: _ready(served.base), within=2)
        status, _, _ = await _exchange(reader, writer, _get_me(token))  # still the same connection
        assert status == 200
    finally:
        writer.close()
    assert "Traceback" not in served.log().split('"dependency_error"', 1)[0]


async def test_after_a_redis_restart_every_pooled_connection_serves_its_next_request(served: Served) -> None:
    """The restart kills every pooled connection; each one's next command is retried on a new connection
    (under uvloop a write to a dead one is a RuntimeError, which is retried too), so no request fails."""
    email = f"restart-{time.monotonic_ns()}@example.com"
    async with httpx.AsyncClient(base_url=served.base, limits=httpx.Limits(max_connections=10)) as client:
        assert (
            await client.post("/v1/signup", json={"email": email, "password": STRONG_PASSWORD})
        ).is_success

        async def sign_ins() -> list[int]:
            answers = await asyncio.gather(
                *(
                    client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
                    for _ in range(10)
                )
            )
            return [answer.status_code for answer in answers]

        assert set(await sign_ins()) == {200}  # several pooled Redis connections in use
        await served.redis.reset()
        await served.redis_direct.flushdb()
        await served.redis.pass_through()
        assert set(await sign_ins()) == {200}
    assert log_events(served.log(), "unhandled_error") == []


async def _refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    writer.close()
    return False


async def test_sigterm_answers_what_was_received_then_exits_0(served: Served) -> None:
    token = await _access_token(served.base)
    await served.database.stall()
    in_flight_reader, in_flight = await asyncio.open_connection("127.0.0.1", served.port)
    in_flight.write(_get_me(token))  # waits on the stalled database
    half_reader, half_sent = await asyncio.open_connection("127.0.0.1", served.port)
    half_sent.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")  # the head's end comes after SIGTERM
    await in_flight.drain()
    await half_sent.drain()

    stopped_at = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    await until(lambda: _refused(served.port), within=5)  # stopped accepting

    half_sent.write(b"\r\n")
    status, headers, _ = await _response(half_reader)
    assert (status, headers["connection"]) == (200, "close")

    await served.database.pass_through()
    status, headers, _ = await _response(in_flight_reader)
    assert (status, headers["connection"]) == (200, "close")

    assert await asyncio.wait_for(served.process.wait(), SHUTDOWN_GRACE + 5) == 0
    assert time.monotonic() - stopped_at < SHUTDOWN_GRACE + 5
    for writer in (in_flight, half_sent):
        writer.close()

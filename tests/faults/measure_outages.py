"""Measure what an operator sees: a 10 s PostgreSQL cut and a Redis restart under a steady load.

Run: ``PYTHONPATH=. .venv/bin/python -m tests.faults.measure_outages [--users 20] [--cut 10]``
(needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; uses ``TOKENWARD_TEST_REDIS_URL``'s database,
which it flushes, and a throw-away PostgreSQL database).

One ``tokenward serve`` process runs behind two fault proxies (``proxy.py``). ``--users`` clients, each with
its own session and keep-alive connection, loop over ``POST /oauth/token`` (refresh, keeping the newest token
and retrying with the same one after a 503, as told), ``GET /v1/me`` and, every tenth round, ``POST /v1/login``.
Then:

1. PostgreSQL cut: every connection reset and the port refused for ``--cut`` seconds (a stopped server);
2. Redis restart without persistence: connections reset, the port refused for a second, the data gone
   (``FLUSHDB``), then back.

For each fault it prints the statuses seen while it lasted and after, the time from the dependency's return
to the last failed request, the server's log lines (all, ``dependency_*``, tracebacks), and at the end how
many sessions were lost (a client whose newest refresh token no longer works).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tests.faults.proxy import FaultProxy
from tests.servers import CHEAP_ARGON2, free_port

POSTGRES_URL = os.environ.get(
    "TOKENWARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TOKENWARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery staple"


@dataclass
class Outcome:
    at: float
    kind: str
    status: str


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, kind: str, status: str) -> None:
        self.outcomes.append(Outcome(time.monotonic(), kind, status))


@dataclass
class User:
    email: str
    refresh_token: str
    access_token: str


async def _request(load: Load, kind: str, send: Awaitable[httpx.Response]) -> httpx.Response | None:
    try:
        response = await send
    except httpx.TransportError as exc:
        load.record(kind, f"transport:{type(exc).__name__}")
        return None
    load.record(kind, str(response.status_code))
    return response


async def _client_loop(base: str, user: User, load: Load) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        round_ = 0
        while not load.stop.is_set():
            round_ += 1
            refreshed = await _request(
                load,
                "refresh",
                client.post(
                    "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": user.refresh_token}
                ),
            )
            if refreshed is not None and refreshed.status_code == 200:
                user.refresh_token = refreshed.json()["refresh_token"]
                user.access_token = refreshed.json()["access_token"]
            await _request(
                load, "me", client.get("/v1/me", headers={"Authorization": f"Bearer {user.access_token}"})
            )
            if round_ % 10 == 0:
                await _request(
                    load, "login", client.post("/v1/login", json={"email": user.email, "password": PASSWORD})
                )
            await asyncio.sleep(0.05)


async def _new_user(base: str, index: int) -> User:
    email = f"load-{index}-{time.monotonic_ns()}@example.com"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await client.post("/v1/signup", json={"email": email, "password": PASSWORD})
        pair = (await client.post("/v1/login", json={"email": email, "password": PASSWORD})).json()
    return User(email, pair["refresh_token"], pair["access_token"])


async def _session_lost(base: str, user: User) -> bool:
    """Whether the user's newest refresh token fails for good (503s are retried for up to 10 s)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            response = await client.post(
                "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": user.refresh_token}
            )
            if response.status_code == 200:
                return False
            if response.status_code != 503:
                return True
            await asyncio.sleep(1)
    return True


def _log_summary(text: str) -> dict[str, object]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines if line.startswith("{")]
    events = Counter(line.get("event") for line in parsed)
    return {
        "errors": sorted(
            {f"{line['event']}: {line.get('cause')}" for line in parsed if line["level"] == "error"}
        ),
        "lines": len(lines),
        "audit_lines": events["audit"],
        "dependency_down": events["dependency_down"],
        "dependency_up": events["dependency_up"],
        "tracebacks": sum(1 for line in lines if "Traceback" in line),
        "unhandled_error": events["unhandled_error"],
    }


def _window(load: Load, start: float, end: float) -> Counter[str]:
    return Counter(f"{o.kind} {o.status}" for o in load.outcomes if start <= o.at < end)


def _recovery(load: Load, back_at: float) -> float:
    failures = [o.at for o in load.outcomes if o.at >= back_at and not o.status.startswith("2")]
    return round(max(failures) - back_at, 3) if failures else 0.0


async def _fault(
    name: str,
    load: Load,
    log_path: Path,
    cut: Callable[[], Awaitable[None]],
    restore: Callable[[], Awaitable[None]],
    seconds: float,
) -> dict[str, object]:
    log_start = (await asyncio.to_thread(log_path.stat)).st_size
    started = time.monotonic()
    await cut()
    await asyncio.sleep(seconds)
    back = time.monotonic()
    await restore()
    await asyncio.sleep(10)
    ended = time.monotonic()
    log = (await asyncio.to_thread(log_path.read_bytes))[log_start:].decode()
    return {
        "fault": name,
        "during": dict(sorted(_window(load, started, back).items())),
        "after": dict(sorted(_window(load, back, ended).items())),
        "recovered_after_seconds": _recovery(load, back),
        "log": _log_summary(log),
    }


async def main(users: int, cut_seconds: float) -> None:
    database_url = await create_fresh_postgres_database(POSTGRES_URL)
    redis_target = make_url(REDIS_URL)
    pg = await FaultProxy("127.0.0.1", make_url(POSTGRES_URL).port or 5432).start()
    rd = await FaultProxy(redis_target.host or "127.0.0.1", redis_target.port or 6379).start()
    redis_direct = Redis.from_url(REDIS_URL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with TemporaryDirectory() as workdir:
        log_path = Path(workdir) / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")} | CHEAP_ARGON2
        env |= {
            "TOKENWARD_ISSUER": base,
            "TOKENWARD_DATABASE_URL": make_url(database_url)
            .set(host="127.0.0.1", port=pg.port)
            .render_as_string(hide_password=False),
            "TOKENWARD_REDIS_URL": f"redis://127.0.0.1:{rd.port}/{redis_target.database or 0}",
            "TOKENWARD_RATE_LIMIT_LOGIN": "100000/minute",
            "TOKENWARD_RATE_LIMIT_SIGNUP": "100000/minute",
            "TOKENWARD_RATE_LIMIT_REFRESH": "100000/minute",
            "TOKENWARD_ACCOUNT_LIMIT_PER_ADDRESS": "100000/minute",
        }
        with log_path.open("wb") as log:
            server = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).with_name("tokenward")), "serve", "--port", str(port),
                cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        try:
            await _until_ready(base)
            people = [await _new_user(base, index) for index in range(users)]
            load = Load()
            loops = [asyncio.create_task(_client_loop(base, user, load)) for user in people]
            await asyncio.sleep(5)

            async def redis_restart() -> None:
                await rd.refuse()
                await asyncio.sleep(1)
                await redis_direct.flushdb()

            results = [
                await _fault("PostgreSQL cut", load, log_path, pg.refuse, pg.pass_through, cut_seconds),
                await _fault("Redis restart (empty)", load, log_path, redis_restart, rd.pass_through, 0),
            ]
            load.stop.set()
            await asyncio.gather(*loops)
            lost = sum([await _session_lost(base, user) for user in people])
            print(json.dumps({"users": users, "results": results, "sessions_lost": lost}, indent=2))
        finally:
            server.send_signal(signal.SIGTERM)
            status = await server.wait()
            print(f"server exit status after SIGTERM: {status}")
            await pg.close()
            await rd.close()
            await redis_direct.flushdb()
            await redis_direct.aclose()
            await drop_postgres_database(database_url)


async def _until_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not become ready")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--cut", type=float, default=10.0, help="seconds PostgreSQL stays cut")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.users, arguments.cut))

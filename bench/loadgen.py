"""The load generator: a separate process, asyncio on uvloop, HTTP/1.1 keep-alive written by hand.

Run as ``python -m bench.loadgen SPEC.json``; prints one JSON object with the counts, latencies and its own CPU
use. It is deliberately thin (no HTTP library: a request is a prepared byte string, a response is read by its
``Content-Length``) so that on a 2-core machine it takes as little of the CPU the server needs as possible,
and it reports what it did take (``cpu_share``: its CPU seconds per wall second over the measured window).

Scenarios (``spec["scenario"]``):
- ``login``: ``POST /v1/login`` with one account's e-mail and password; success is 200 with an access token.
- ``refresh``: ``POST /oauth/token`` (``grant_type=refresh_token``); each connection owns one session and uses
  the refresh token from its previous answer, as a real client must (rotation); success is 200.
- ``introspect``: ``POST /oauth/introspect`` with HTTP Basic client credentials and a live access token;
  success is 200 with ``"active":true``.

Modes: closed loop (``rate`` absent: each connection sends its next request when the previous answer is in, for
peak throughput) and open loop (``rate`` requests/s on a fixed schedule; latency counts from the scheduled
time, so a server that falls behind is not flattered by coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

HOST_HEADER = b"Host: 127.0.0.1\r\nUser-Agent: tokenward-bench/1.0\r\n"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _post(path: str, content_type: str, body: bytes, extra: bytes = b"") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\n".encode()
        + HOST_HEADER
        + extra
        + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            start = lower.find(b"content-length:")
            length = int(lower[start + 15 : lower.find(b"\r\n", start)]) if start >= 0 else 0
            body = await self.reader.readexactly(length) if length else b""
            if b"connection: close" in lower:
                self.close()
            return status, body
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Scenario:
    """Builds each connection's next request and judges its answer."""

    def __init__(self, spec: dict[str, Any]) -> None:
        data = spec["data"]
        kind = spec["scenario"]
        self.connections = spec["connections"]
        if kind == "login":
            body = json.dumps({"email": data["email"], "password": data["password"]}).encode()
            request = _post("/v1/login", "application/json", body)
            self.states: list[Any] = [request] * self.connections
            self.build: Callable[[Any], bytes] = lambda state: state
            self.judge: Callable[[int, int, bytes], bool] = lambda _i, status, body: (
                status == 200 and b'"access_token"' in body
            )
        elif kind == "refresh":
            self.states = list(data["refresh_tokens"])
            self.build = lambda token: _post(
                "/oauth/token",
                "application/x-www-form-urlencoded",
                b"grant_type=refresh_token&refresh_token=" + token.encode(),
            )
            self.judge = self._rotate
        elif kind == "introspect":
            auth = b"Authorization: Basic " + data["basic"].encode() + b"\r\n"
            self.states = [
                _post("/oauth/introspect", "application/x-www-form-urlencoded", b"token=" + t.encode(), auth)
                for t in data["access_tokens"]
            ]
            self.build = lambda state: state
            self.judge = lambda _i, status, body: status == 200 and b'"active":true' in body
        else:
            raise ValueError(f"unknown scenario {kind!r}")
        if len(self.states) < self.connections:
            raise ValueError("fewer prepared sessions than connections")

    def _rotate(self, index: int, status: int, body: bytes) -> bool:
        if status != 200:
            return False
        try:
            self.states[index] = json.loads(body)["refresh_token"]
        except (ValueError, KeyError, TypeError):
            return False
        return True


class Recorder:
    def __init__(self, measure_from: float, measure_until: float) -> None:
        self.measure_from, self.measure_until = measure_from, measure_until
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()

    def record(self, started: float, finished: float, ok: bool, what: str) -> None:
        if not self.measure_from <= started < self.measure_until:
            return
        if ok:
            self.latencies.append(finished - started)
        else:
            self.errors[what] += 1


async def _one(conn: Connection, scenario: Scenario, index: int, started: float, recorder: Recorder) -> None:
    try:
        status, body = await conn.call(scenario.build(scenario.states[index]))
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        recorder.record(started, time.perf_counter(), False, type(exc).__name__)
        return
    ok = scenario.judge(index, status, body)
    recorder.record(started, time.perf_counter(), ok, str(status))


async def closed_loop(spec: dict[str, Any], scenario: Scenario, recorder: Recorder, end: float) -> None:
    async def worker(index: int) -> None:
        conn = Connection(spec["host"], spec["port"])
        while (started := time.perf_counter()) < end:
            await _one(conn, scenario, index, started, recorder)
        conn.close()

    await asyncio.gather(*(worker(i) for i in range(scenario.connections)))


async def open_loop(
    spec: dict[str, Any], scenario: Scenario, recorder: Recorder, start: float, end: float
) -> None:
    idle: asyncio.Queue[int] = asyncio.Queue()
    conns = [Connection(spec["host"], spec["port"]) for _ in range(scenario.connections)]
    for index in range(scenario.connections):
        idle.put_nowait(index)
    interval = 1.0 / spec["rate"]
    tasks: set[asyncio.Task[None]] = set()

    async def send(scheduled: float) -> None:
        index = await idle.get()  # waiting for a free connection counts: latency runs from `scheduled`
        try:
            await _one(conns[index], scenario, index, scheduled, recorder)
        finally:
            idle.put_nowait(index)

    sent = 0
    while (scheduled := start + sent * interval) < end:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(send(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    for conn in conns:
        conn.close()


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    scenario = Scenario(spec)
    start = time.perf_counter()
    measure_from = start + spec.get("warmup", 0.0)
    end = measure_from + spec["duration"]
    recorder = Recorder(measure_from, end)
    cpu_task = asyncio.ensure_future(_cpu_at(measure_from))
    if spec.get("rate"):
        await open_loop(spec, scenario, recorder, start, end)
    else:
        await closed_loop(spec, scenario, recorder, end)
    cpu_at_start = await cpu_task
    wall = time.perf_counter() - measure_from
    cpu = _cpu_seconds() - cpu_at_start
    ordered = sorted(recorder.latencies)
    completed = len(ordered)
    return {
        "scenario": spec["scenario"],
        "connections": scenario.connections,
        "rate": spec.get("rate"),
        "duration": spec["duration"],
        "completed": completed,
        "errors": dict(recorder.errors),
        "error_count": sum(recorder.errors.values()),
        "throughput": completed / spec["duration"],
        "p50": _percentile(ordered, 0.50),
        "p90": _percentile(ordered, 0.90),
        "p99": _percentile(ordered, 0.99),
        "max": ordered[-1] if ordered else float("nan"),
        "mean": statistics.fmean(ordered) if ordered else float("nan"),
        "cpu_seconds": cpu,
        "cpu_share": cpu / wall,
    }


async def _cpu_at(moment: float) -> float:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))
    return _cpu_seconds()


def main() -> None:
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    try:
        import uvloop

        runner: Callable[[Any], Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    print(json.dumps(runner(run(spec))))


if __name__ == "__main__":
    main()

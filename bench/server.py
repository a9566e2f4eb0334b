"""Real ``tokenward serve`` processes for the HTTP benchmarks, their CPU and memory, and the load generator.

Servers run exactly as in production (``tokenward serve``, uvicorn, optionally ``--workers N``) in a throw-away
working directory with only the environment given here. ``TOKENWARD_RATE_LIMITS_ENABLED=false``: the limits are
correct behaviour, not what is measured (one client hammering one account would be throttled after 30
sign-ins). The load generator runs as its own process (``bench.loadgen``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
#: cheap hashing where sign-in is only the set-up (refresh, introspection); the sign-in benchmark overrides it
CHEAP_ARGON2 = {"TOKENWARD_ARGON2_MEMORY_KIB": "64", "TOKENWARD_ARGON2_TIME_COST": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    workdir: Path
    rss_samples: list[int] = field(default_factory=list)

    def processes(self) -> list[psutil.Process]:
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_bytes(self) -> int:
        total = 0
        for proc in self.processes():
            with suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total

    def cli(self, *args: str) -> str:
        """Run a ``tokenward`` command against this server's storage (same environment and directory)."""
        result = subprocess.run(
            [str(Path(sys.executable).with_name("tokenward")), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout


@contextmanager
def tokenward_server(settings: Mapping[str, str], *, workers: int = 1) -> Iterator[Server]:
    """Run ``tokenward serve`` with ``settings`` until the block ends; yields once ``/readyz`` answers 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    env.update(
        {
            "TOKENWARD_ISSUER": f"http://127.0.0.1:{port}",
            "TOKENWARD_KEK": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "TOKENWARD_RATE_LIMITS_ENABLED": "false",
            "TOKENWARD_LOG_LEVEL": "WARNING",
        }
    )
    env.update(settings)
    command = [str(Path(sys.executable).with_name("tokenward")), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with _serve(command, port, env, workers, "/readyz") as server:
        yield server


@contextmanager
def baseline_server(*, workers: int = 1, http: str = "httptools") -> Iterator[Server]:
    """Run ``bench.baseline_app`` under uvicorn (the HTTP ceiling), with the given HTTP implementation."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baseline_app:app",
        "--port",
        str(port),
        "--http",
        http,
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with _serve(command, port, env, workers, "/") as server:
        yield server


@contextmanager
def lean_server(tokenward_env: Mapping[str, str], *, workers: int = 1) -> Iterator[Server]:
    """Run the lean yardstick (``bench.lean_app``) under the same uvicorn/httptools as ``tokenward serve``, on
    the database of the Tokenward server whose environment is ``tokenward_env``."""
    port = free_port()
    database = tokenward_env["TOKENWARD_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.lean_app:app",
        "--port",
        str(port),
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEAN_DATABASE_URL": database,
        "LEAN_ISSUER": tokenward_env["TOKENWARD_ISSUER"],
    }
    with _serve(command, port, env, workers, "/") as server:
        yield server


@contextmanager
def _serve(
    command: list[str], port: int, env: dict[str, str], workers: int, ready_path: str
) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="tokenward-bench-") as workdir:
        log_path = Path(workdir) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=log)
            server = Server(
                base=f"http://127.0.0.1:{port}", port=port, process=process, env=env, workdir=Path(workdir)
            )
            try:
                _wait_until_ready(server, log_path, workers, ready_path)
                yield server
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_ready(server: Server, log_path: Path, workers: int, ready_path: str) -> None:
    deadline = time.monotonic() + 180  # a shared, busy machine can take minutes to start two workers
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("tokenward serve exited: " + log_path.read_text()[-3000:])
        try:
            ready = httpx.get(server.base + ready_path, timeout=2).status_code == 200
        except httpx.TransportError:
            ready = False
        # with --workers, every worker must be up, or the first seconds measure a half-started server
        if ready and len(server.processes()) >= (workers + 1 if workers > 1 else 1):
            time.sleep(1.0 if workers > 1 else 0.2)
            return
        time.sleep(0.2)
    raise RuntimeError("tokenward serve did not become ready: " + log_path.read_text()[-3000:])


async def _sign_ins(base: str, email: str, count: int, concurrency: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    semaphore = asyncio.Semaphore(concurrency)
    headers = {"User-Agent": "tokenward-bench/1.0"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def one() -> None:
            async with semaphore:
                response = await client.post("/v1/login", json={"email": email, "password": PASSWORD})
                response.raise_for_status()
                results.append(response.json())

        await asyncio.gather(*(one() for _ in range(count)))
    return results


def create_account(server: Server, email: str | None = None) -> str:
    email = email or f"bench-{secrets.token_hex(6)}@example.com"
    response = httpx.post(
        f"{server.base}/v1/signup",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": "tokenward-bench/1.0"},
        timeout=60,
    )
    if response.status_code != 202:
        raise RuntimeError(f"sign-up failed: {response.status_code} {response.text}")
    return email


def sign_in_many(server: Server, email: str, count: int, concurrency: int = 8) -> list[dict[str, Any]]:
    """``count`` sessions of one account (each sign-in opens one), as token responses."""
    return asyncio.run(_sign_ins(server.base, email, count, concurrency))


def create_api_client(server: Server) -> str:
    """Register an API client with ``tokenward clients create``; the HTTP Basic credentials, encoded."""
    created = json.loads(server.cli("clients", "create", "bench").strip().splitlines()[-1])
    pair = f"{created['client_id']}:{created['client_secret']}"
    return base64.b64encode(pair.encode()).decode()


@dataclass
class LoadResult:
    load: dict[str, Any]
    server_cpu_seconds: float
    wall_seconds: float
    rss_max: int
    rss_mean: float

    @property
    def server_cores(self) -> float:
        """Cores the server kept busy over the run (CPU seconds per wall second)."""
        return self.server_cpu_seconds / self.wall_seconds

    @property
    def per_core(self) -> float:
        """Requests/s per core the server actually used."""
        return self.load["throughput"] / self.server_cores if self.server_cores else float("nan")


def run_load(server: Server, spec: dict[str, Any]) -> LoadResult:
    """Run the load generator as a separate process against ``server``; measure the server meanwhile."""
    spec = {"host": "127.0.0.1", "port": server.port, "warmup": 2.0, **spec}
    samples: list[int] = []
    stop = threading.Event()

    def sample_rss() -> None:
        while not stop.wait(0.5):
            samples.append(server.rss_bytes())

    sampler = threading.Thread(target=sample_rss, daemon=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
        json.dump(spec, spec_file)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", spec_file.name], cwd=ROOT, stdout=subprocess.PIPE
        )
        time.sleep(spec["warmup"])
        cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
        sampler.start()
        time.sleep(spec["duration"])
        cpu_after, wall_after = server.cpu_seconds(), time.perf_counter()
        stop.set()
        out, _ = process.communicate(timeout=spec["duration"] + 120)
        if process.returncode != 0:
            raise RuntimeError(f"load generator failed ({process.returncode})")
    finally:
        os.unlink(spec_file.name)
    sampler.join()
    return LoadResult(
        load=json.loads(out),
        server_cpu_seconds=cpu_after - cpu_before,
        wall_seconds=wall_after - wall_before,
        rss_max=max(samples, default=0),
        rss_mean=sum(samples) / len(samples) if samples else 0.0,
    )

"""A live ``tokenward serve`` process on embedded defaults, and the example resource server verifying its tokens.

One server process for the whole module; it runs in a fresh working directory with no configuration except
cheap Argon2 parameters, exactly as the README's first command does.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    env.update(
        {
            "TOKENWARD_ARGON2_MEMORY_KIB": "64",
            "TOKENWARD_ARGON2_TIME_COST": "1",
            "TOKENWARD_ISSUER": f"http://127.0.0.1:{port}",
        }
    )
    tokenward = Path(sys.executable).with_name("tokenward")
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [str(tokenward), "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            log.close()
            pytest.fail("tokenward serve exited: " + (workdir / "server.log").read_text())
        time.sleep(0.1)
    else:
        process.kill()
        process.wait()
        log.close()
        pytest.fail("tokenward serve did not become ready: " + (workdir / "server.log").read_text())
    try:
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert (workdir / "tokenward-data" / "tokenward.db").exists()


def _sign_in(base: str, email: str) -> dict[str, str]:
    assert httpx.post(f"{base}/v1/signup", json={"email": email, "password": PASSWORD}).status_code == 202
    response = httpx.post(f"{base}/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    body: dict[str, str] = response.json()
    return body


def test_embedded_defaults_serve_the_walk_through(live_server: str) -> None:
    tokens = _sign_in(live_server, "live@example.com")
    me = httpx.get(f"{live_server}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["email"] == "live@example.com"
    refreshed = httpx.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200
    logout = httpx.post(
        f"{live_server}/v1/logout", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert logout.json() == {"status": "logged_out", "sessions_ended": 1}


async def test_example_resource_server_verifies_live_tokens(
    live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKENWARD_URL", live_server)
    sys.modules.pop("examples.resource_server", None)
    example = importlib.import_module("examples.resource_server")
    tokens = _sign_in(live_server, "resource@example.com")
    transport = httpx.ASGITransport(app=example.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://resource") as client:
        ok = await client.get("/profile", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert ok.status_code == 200
        assert ok.json()["session"] == tokens["session_id"]
        assert "profile" in ok.json()["scopes"]

        forbidden = await client.get("/admin", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert forbidden.status_code == 403
        assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]

        tampered = tokens["access_token"][:-4] + (
            "AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB"
        )
        refused = await client.get("/profile", headers={"Authorization": f"Bearer {tampered}"})
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]

        refresh_as_access = await client.get(
            "/profile", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
        )
        assert refresh_as_access.status_code == 401
        assert 'error_description="malformed"' in refresh_as_access.headers["www-authenticate"]

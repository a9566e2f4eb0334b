"""A live ``tokenward serve`` process on embedded defaults, and the example resource server verifying its tokens.

One server process for the whole module; it runs in a fresh working directory with no configuration except
cheap Argon2 parameters, exactly as the README's first command does.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import tokenward_server

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live")
    with tokenward_server(workdir) as base:
        yield base
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


@pytest.mark.threat("T-API-01")
def test_oversized_request_headers_are_refused_by_the_server(live_server: str) -> None:
    """Attack: huge headers to make the server buffer memory before any route runs."""
    response = httpx.get(f"{live_server}/healthz", headers={"X-Padding": "a" * 40_000})
    assert response.status_code == 431
    assert response.json()["code"] == "request_headers_too_large"
    assert httpx.get(f"{live_server}/healthz").status_code == 200


def test_serve_with_the_wrong_kek_refuses_in_one_line(tmp_path_factory: pytest.TempPathFactory) -> None:
    import base64
    import os
    import secrets
    import subprocess
    from pathlib import Path

    from tests.servers import CHEAP_ARGON2

    workdir = tmp_path_factory.mktemp("wrong-kek")
    tokenward = str(Path(sys.executable).with_name("tokenward"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")} | CHEAP_ARGON2
    first = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    second = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    created = subprocess.run(
        [tokenward, "keys", "list"],
        cwd=workdir,
        env=env | {"TOKENWARD_KEK": first},
        capture_output=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    refused = subprocess.run(
        [tokenward, "serve", "--port", "1"],
        cwd=workdir,
        env=env | {"TOKENWARD_KEK": second},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "TOKENWARD_KEK cannot decrypt the stored signing keys" in refused.stderr
    assert "Traceback" not in refused.stderr


def _raw_exchange(base: str, payload: bytes, *, chunks: int = 1) -> bytes:
    """Send raw bytes (in ``chunks`` pieces) and read until the server closes or 2 s pass."""
    import socket
    import time

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        step = max(1, len(payload) // chunks)
        try:
            for start in range(0, len(payload), step):
                sock.sendall(payload[start : start + step])
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        received = b""
        sock.settimeout(2)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


@pytest.mark.threat("T-API-01")
def test_an_endless_header_is_cut_off_while_it_streams(live_server: str) -> None:
    """Attack: stream one header line forever so the server buffers it without end."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200_000
    answer = _raw_exchange(live_server, head, chunks=40)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"code": "request_headers_too_large"' in answer


def test_a_large_body_after_a_small_head_is_not_mistaken_for_a_large_head(live_server: str) -> None:
    body = json.dumps({"email": "big@example.com", "password": "p" * 60_000}).encode()
    request = (
        b"POST /v1/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    answer = _raw_exchange(live_server, request)
    assert answer.startswith(b"HTTP/1.1 400 ")  # the password is over its length limit, not a header problem


def test_keep_alive_requests_each_get_their_own_head_budget(live_server: str) -> None:
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 10_000 + b"\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = _raw_exchange(live_server, one + one + one + last, chunks=4)
    assert answer.count(b"HTTP/1.1 200 ") == 4

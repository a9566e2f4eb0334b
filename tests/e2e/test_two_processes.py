"""Two ``tokenward serve`` processes sharing PostgreSQL and Redis: revocation and key rotation reach both.

A session revoked through one process is refused by the other on the very next request (its ``/v1/me`` and its
``/oauth/introspect``), and ``tokenward keys rotate`` shows the overlap in both processes' JWKS while a token
minted before the rotation still verifies with ``tokenward_client``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.servers import CHEAP_ARGON2, shared_stores, two_tokenward_servers
from tokenward_client import TokenVerifier

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ISSUER = "https://auth.two-processes.test"
AUDIENCE = "two-processes-api"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def settings(postgres_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    with shared_stores(postgres_url, redis_url) as shared:
        yield shared | {
            # one issuer for both, as behind one load balancer
            "TOKENWARD_ISSUER": ISSUER,
            "TOKENWARD_AUDIENCES": AUDIENCE,
            "TOKENWARD_KEY_RELOAD_INTERVAL": "1",
            "TOKENWARD_RATE_LIMITS_ENABLED": "false",
        }


@pytest.fixture(scope="module")
def two_servers(
    settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    with two_tokenward_servers(tmp_path_factory, settings) as servers:
        yield servers


def _cli(settings: dict[str, str], workdir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    env.update(CHEAP_ARGON2)
    env.update(settings)
    tokenward = Path(sys.executable).with_name("tokenward")
    result = subprocess.run(
        [str(tokenward), *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _sign_in(base: str) -> dict[str, str]:
    email = f"two-{secrets.token_hex(4)}@example.com"
    assert httpx.post(f"{base}/v1/signup", json={"email": email, "password": PASSWORD}).status_code == 202
    response = httpx.post(f"{base}/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


@pytest.mark.threat("T-LIF-02")
def test_a_session_revoked_through_one_process_is_refused_by_the_other(
    two_servers: tuple[str, str], settings: dict[str, str], redis_url: str, tmp_path: Path
) -> None:
    first, second = two_servers
    client = json.loads(_cli(settings, tmp_path, "clients", "create", "two-process test"))
    auth = (client["client_id"], client["client_secret"])
    tokens = _sign_in(first)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(f"{second}/v1/me", headers=headers).status_code == 200
    assert httpx.post(f"{second}/oauth/introspect", data={"token": tokens["access_token"]}, auth=auth).json()[
        "active"
    ]

    assert httpx.delete(f"{first}/v1/me/sessions/{tokens['session_id']}", headers=headers).status_code == 204

    refused = httpx.get(f"{second}/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "revoked"
    introspected = httpx.post(f"{second}/oauth/introspect", data={"token": tokens["access_token"]}, auth=auth)
    assert introspected.json() == {"active": False}
    shared = redis.Redis.from_url(redis_url)
    try:
        assert shared.exists(f"tokenward:deny:s:{tokens['session_id']}") == 1
    finally:
        shared.close()


def _published(base: str) -> set[str]:
    return {key["kid"] for key in httpx.get(f"{base}/.well-known/jwks.json").json()["keys"]}


@pytest.mark.threat("T-LIF-06")
def test_keys_rotate_shows_the_overlap_and_old_tokens_still_verify(
    two_servers: tuple[str, str], settings: dict[str, str], tmp_path: Path
) -> None:
    first, second = two_servers
    before = _published(first)
    old_token = _sign_in(first)["access_token"]

    rotated = json.loads(_cli(settings, tmp_path, "keys", "rotate"))

    deadline = time.monotonic() + 10  # each process reloads its key ring every second here
    while time.monotonic() < deadline and not all(rotated["kid"] in _published(b) for b in two_servers):
        time.sleep(0.2)
    for base in two_servers:
        assert _published(base) == before | {rotated["kid"]}
    verifier = TokenVerifier(jwks_url=f"{second}/.well-known/jwks.json", issuer=ISSUER, audiences=AUDIENCE)
    try:
        assert verifier.verify(old_token).issuer == ISSUER
        new_token = _sign_in(second)["access_token"]
        assert verifier.verify(new_token).issuer == ISSUER
    finally:
        verifier.close()
    assert httpx.get(f"{first}/v1/me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200

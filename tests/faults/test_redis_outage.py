"""Redis refused, reset, stalled or restarted empty under a running Tokenward.

During the cut the rate-limited routes (sign-in, refresh, revocation) answer ``503`` with ``Retry-After``;
authenticated requests keep working, because the database holds the record of every revocation and is asked
instead. After the cut the service is whole again at once: pooled connections that died are retried on a new
one. A ``jti`` revoked before Redis came back empty (``FLUSHDB`` of the test database: a restart without
persistence) stays revoked, and the deny-list is refilled into Redis.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.faults.conftest import LONGEST_OUTAGE_ANSWER, FaultyStack, faulty_stack, log_events, until
from tests.harness import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

FAULTS = ["refuse", "reset", "stall"]


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> AsyncIterator[FaultyStack]:
    async with faulty_stack(tmp_path_factory.mktemp("redis-outage"), postgres_url, redis_url) as stack:
        yield stack


async def _signs_in(stack: FaultyStack, email: str) -> bool:
    return (await stack.api.attempt_login(email)).status_code == 200


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


async def _revoke(stack: FaultyStack, token: str) -> httpx.Response:
    return await stack.api.client.post("/oauth/revoke", data={"token": token})


@pytest.mark.parametrize("fault", FAULTS)
async def test_limited_routes_answer_503_authenticated_ones_keep_working(
    stack: FaultyStack, fault: str
) -> None:
    email, pair = await stack.api.new_user()
    _, other = await stack.api.new_user()
    await getattr(stack.redis, fault)()
    try:
        login = await asyncio.wait_for(stack.api.attempt_login(email), LONGEST_OUTAGE_ANSWER)
        refresh = await asyncio.wait_for(stack.api.refresh(pair["refresh_token"]), LONGEST_OUTAGE_ANSWER)
        me = await asyncio.wait_for(
            stack.api.client.get("/v1/me", headers=bearer(pair["access_token"])), LONGEST_OUTAGE_ANSWER
        )
        # a sign-out during the outage is recorded in the database and refused at once
        logout = await stack.api.client.post("/v1/logout", headers=bearer(other["access_token"]))
        after_logout = await stack.api.client.get("/v1/me", headers=bearer(other["access_token"]))
    finally:
        await stack.redis.pass_through()

    for response in (login, refresh):
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) >= 1
    assert login.json()["code"] == "dependency_unavailable"
    assert refresh.json()["error"] == "temporarily_unavailable"
    assert me.status_code == 200
    assert logout.status_code == 200
    assert after_logout.status_code == 401

    await until(lambda: _signs_in(stack, email), within=2.0)
    assert (await stack.api.refresh(pair["refresh_token"])).status_code == 200
    assert (await stack.api.client.get("/v1/me", headers=bearer(other["access_token"]))).status_code == 401


async def test_after_a_restart_the_first_request_is_served(stack: FaultyStack) -> None:
    """Every pooled connection died with the restart; the first command on one is retried on a new one."""
    email, _ = await stack.api.new_user()
    assert (await stack.api.attempt_login(email)).status_code == 200
    await stack.redis.reset()
    await stack.redis_direct.flushdb()
    await stack.redis.pass_through()

    assert (await stack.api.attempt_login(email)).status_code == 200


@pytest.mark.threat("T-LIF-02")
async def test_a_jti_revocation_survives_redis_coming_back_empty(stack: FaultyStack) -> None:
    """Attack: a revoked access token replayed after Redis restarted without its data. Refused: the database
    is the record, and Redis is refilled from it before it is trusted again."""
    _, pair = await stack.api.new_user()
    token = pair["access_token"]
    assert (await _revoke(stack, token)).status_code == 200
    assert (await stack.api.client.get("/v1/me", headers=bearer(token))).status_code == 401

    await stack.redis_direct.flushdb()

    replay = await stack.api.client.get("/v1/me", headers=bearer(token))
    assert replay.status_code == 401
    assert replay.json()["detail"] == "revoked"
    jti = _claims(token)["jti"]

    async def refilled() -> bool:
        await stack.api.client.get("/v1/me", headers=bearer(token))
        return bool(await stack.redis_direct.exists(f"tokenward:deny:t:{jti}"))

    await until(refilled, within=2.0)
    assert (await stack.api.client.get("/v1/me", headers=bearer(token))).status_code == 401


async def test_an_outage_writes_one_line_when_it_starts_and_one_when_it_ends(
    stack: FaultyStack, capsys: pytest.CaptureFixture[str]
) -> None:
    email, _ = await stack.api.new_user()
    capsys.readouterr()
    await stack.redis.refuse()
    try:
        for _ in range(20):
            assert (await stack.api.attempt_login(email)).status_code == 503
    finally:
        await stack.redis.pass_through()
    await until(lambda: _signs_in(stack, email), within=2.0)

    log = capsys.readouterr().err
    assert [line["dependency"] for line in log_events(log, "dependency_down")] == ["redis"]
    up = log_events(log, "dependency_up")
    assert [line["dependency"] for line in up] == ["redis"]
    assert up[0]["failures"] >= 20
    assert len(log_events(log, "dependency_error")) <= 2
    assert log_events(log, "unhandled_error") == []

"""The same service on PostgreSQL: the walk-through, and 20 concurrent refreshes with one token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tests.harness import RunningApp, bearer, make_settings, running_app

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
async def pg_api(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    url = await create_fresh_postgres_database(postgres_url)
    try:
        settings = make_settings(tmp_path_factory.mktemp("pg"), database_url=url)
        async with running_app(settings) as running:
            yield running
    finally:
        await drop_postgres_database(url)


async def test_walk_through_on_postgresql(pg_api: RunningApp) -> None:
    assert pg_api.settings.effective_database_url.startswith("postgresql+asyncpg://")
    assert (await pg_api.sign_up("pg@example.com")).status_code == 202
    assert (await pg_api.sign_up("pg@example.com")).status_code == 202
    tokens = await pg_api.login("pg@example.com")
    assert (await pg_api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()[
        "email"
    ] == "pg@example.com"
    successor = (await pg_api.refresh(tokens["refresh_token"])).json()
    pg_api.clock.advance(pg_api.settings.refresh_reuse_grace + 1)
    replay = await pg_api.refresh(tokens["refresh_token"])
    assert replay.json()["error_description"] == "Refresh token reuse detected; the session has been revoked"
    assert (await pg_api.client.get("/v1/me", headers=bearer(successor["access_token"]))).status_code == 401
    again = await pg_api.login("pg@example.com")
    assert (await pg_api.client.post("/v1/logout", headers=bearer(again["access_token"]))).status_code == 200
    ready = await pg_api.client.get("/readyz")
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.threat("T-REF-02")
async def test_twenty_concurrent_refreshes_give_exactly_one_successor(pg_api: RunningApp) -> None:
    """Attack: race many refreshes with one token to fork the family into several live sessions."""
    _, tokens = await pg_api.new_user()
    responses = await asyncio.gather(*(pg_api.refresh(tokens["refresh_token"]) for _ in range(20)))
    winners = [r for r in responses if r.status_code == 200]
    losers = [r for r in responses if r.status_code != 200]
    assert len(winners) == 1
    assert len(losers) == 19
    for response in losers:
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "The refresh token was already used; use the newest refresh token",
        }
    # the one successor works, and the session was not revoked by the race
    follow = await pg_api.refresh(winners[0].json()["refresh_token"])
    assert follow.status_code == 200

"""Pooled PostgreSQL connections that died while idle: the next refresh still succeeds, without a 503.

Without ``pool_pre_ping`` nothing probes a pooled connection before use. A connection the server closed
(``pg_terminate_backend``, a restart) is replaced at checkout once this process has read the close; one that
died silently (a NAT or a cut network path forgot it: this process sees nothing until it sends) fails its
first statement, the BEGIN, on the refresh path (``Database.raw_write``), which then begins once more on a
new connection. The attack-free but real failure: every pooled connection dead at once, then one refresh.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.faults.conftest import FaultyStack, faulty_stack

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> AsyncIterator[FaultyStack]:
    async with faulty_stack(tmp_path_factory.mktemp("dead-connections"), postgres_url, redis_url) as stack:
        yield stack


@pytest.fixture
def failures(stack: FaultyStack, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The dependencies reported down (a 503 reports one) while the test runs."""
    reported: list[str] = []
    monkeypatch.setattr(stack.health, "failed", lambda dependency, _error: reported.append(dependency))
    return reported


async def _warm_pool(stack: FaultyStack) -> str:
    """A signed-in user's refresh token, after some refreshes so that the pool holds open connections."""
    _, pair = await stack.api.new_user()
    token: str = pair["refresh_token"]
    for _ in range(3):
        response = await stack.api.refresh(token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    return token


async def test_a_refresh_on_silently_dropped_connections_succeeds_without_a_503(
    stack: FaultyStack, failures: list[str]
) -> None:
    token = await _warm_pool(stack)
    await stack.database.forget()  # every open connection is gone; this process has not been told
    response = await stack.api.refresh(token)
    assert response.status_code == 200, response.text
    again = await stack.api.refresh(response.json()["refresh_token"])
    assert again.status_code == 200, again.text
    assert failures == []


async def test_a_refresh_after_the_server_ended_every_connection_succeeds_without_a_503(
    stack: FaultyStack, failures: list[str]
) -> None:
    token = await _warm_pool(stack)
    direct = await asyncpg.connect(
        make_url(stack.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        ended = await direct.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await direct.close()
    assert ended >= 1
    response = await stack.api.refresh(token)
    assert response.status_code == 200, response.text
    assert failures == []

"""PostgreSQL named by several hosts: Tokenward connects to the one that accepts writes, and follows a
failover to another without a restart or a configuration change.

Two fault proxies stand for two servers in front of the one test server; the first plays a read-only standby
(``default_transaction_read_only=on`` in every session it opens), so ``target_session_attrs=read-write`` must
pass it over. Then the roles swap: the standby is promoted and the old primary disappears.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import make_url

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tests.faults.conftest import FAULT_TIMEOUTS, until
from tests.faults.proxy import FaultProxy
from tests.harness import STRONG_PASSWORD, RunningApp, bearer, make_settings, running_app

pytestmark = [pytest.mark.postgres]


@dataclass
class TwoHosts:
    api: RunningApp
    standby: FaultProxy
    primary: FaultProxy


@pytest.fixture(scope="module")
async def hosts(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> AsyncIterator[TwoHosts]:
    port = make_url(postgres_url).port or 5432
    standby = await FaultProxy("127.0.0.1", port, read_only=True).start()
    primary = await FaultProxy("127.0.0.1", port).start()
    database_url = await create_fresh_postgres_database(postgres_url)
    name = make_url(database_url).database
    url = f"postgresql://postgres@{standby.address},{primary.address}/{name}?target_session_attrs=read-write"
    settings = make_settings(tmp_path_factory.mktemp("hosts"), database_url=url, **FAULT_TIMEOUTS)
    try:
        async with running_app(settings) as api:
            yield TwoHosts(api, standby, primary)
    finally:
        await standby.close()
        await primary.close()
        await drop_postgres_database(database_url)


async def test_the_writable_host_is_used_when_a_standby_comes_first(hosts: TwoHosts) -> None:
    _, pair = await hosts.api.new_user()  # writes: sign-up, session, audit
    assert (await hosts.api.client.get("/v1/me", headers=bearer(pair["access_token"]))).status_code == 200
    assert hosts.standby.accepted >= 1  # it was asked first, and passed over
    assert hosts.api.container.database.location == f"{hosts.standby.address},{hosts.primary.address}"


async def test_a_failover_is_followed_without_a_restart(hosts: TwoHosts) -> None:
    email, _ = await hosts.api.new_user()
    hosts.standby.read_only = False  # promoted: its next sessions accept writes
    await hosts.primary.refuse()  # the old primary is gone
    statuses: list[int] = []

    async def signs_in() -> bool:
        response = await hosts.api.client.post(
            "/v1/login", json={"email": email, "password": STRONG_PASSWORD}
        )
        statuses.append(response.status_code)
        return response.status_code == 200

    await until(signs_in, within=5.0)
    assert set(statuses) <= {200, 503}
    assert statuses.count(503) <= 3
    _, pair = await hosts.api.new_user()  # writes go to the promoted host
    assert (await hosts.api.client.get("/v1/me", headers=bearer(pair["access_token"]))).status_code == 200

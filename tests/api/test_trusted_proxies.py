"""Client addresses behind a trusted proxy: forwarded headers count only when the peer is that proxy."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.harness import RunningApp, make_settings, running_app
from tests.limits_time import run_limits_on
from tokenward.domain.clock import FrozenClock

PROXY = "10.9.0.2"
_accounts = itertools.count()


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    clock = FrozenClock()
    settings = make_settings(
        tmp_path_factory.mktemp("proxy"),
        trusted_proxies=["10.9.0.0/24"],
        rate_limits_enabled=True,
        rate_limit_login="3/minute",
    )
    with pytest.MonkeyPatch.context() as patch:
        run_limits_on(clock, patch)
        async with running_app(settings, clock) as running:
            yield running


async def _login_via(api: RunningApp, peer: str, forwarded_for: str) -> httpx.Response:
    """A failed sign-in for a fresh account each time, so only the per-address route limit is in play."""
    transport = httpx.ASGITransport(app=api.app, client=(peer, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(
            "/v1/login",
            json={"email": f"someone-{next(_accounts)}@example.com", "password": "wrong password"},
            headers={"X-Forwarded-For": forwarded_for},
        )


@pytest.mark.threat("T-ABU-05")
async def test_trusted_proxy_forwards_the_real_client_address(api: RunningApp) -> None:
    statuses = [(await _login_via(api, PROXY, f"203.0.113.{n}")).status_code for n in range(5)]
    assert statuses == [401] * 5  # five different clients behind the proxy, each under its own limit
    events = await api.container.audit_log.list_events(event_type="login_failed")
    assert {e.ip for e in events} >= {f"203.0.113.{n}" for n in range(5)}


@pytest.mark.threat("T-ABU-05")
async def test_a_client_prepending_addresses_cannot_choose_its_own(api: RunningApp) -> None:
    """Attack: the client sends its own X-Forwarded-For; the proxy appends the real address on the right."""
    statuses = [(await _login_via(api, PROXY, f"1.2.3.{n}, 198.18.0.9")).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


@pytest.mark.threat("T-ABU-05")
async def test_an_untrusted_peer_cannot_use_forwarded_headers(api: RunningApp) -> None:
    statuses = [(await _login_via(api, "198.18.5.5", f"203.0.114.{n}")).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]

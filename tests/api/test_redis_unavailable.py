"""Redis configured but not answering: requests that need it fail closed with 503, never skip the check;
revocations are read from the database meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import RunningApp, bearer, make_settings, running_app
from tests.servers import free_port
from tokenward.domain.context import RequestContext


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = make_settings(tmp_path_factory.mktemp("noredis"), redis_url=closed, rate_limits_enabled=True)
    async with running_app(settings) as running:
        yield running


@pytest.mark.threat("T-LIF-02")
async def test_revocations_are_read_from_the_database_while_redis_is_down(api: RunningApp) -> None:
    """Attack surface: a revoked token must not slip through while the deny-list's fast copy is down.

    The database holds the record of every revocation, so with Redis down authentication asks it instead:
    the token works until it is revoked, and is refused at once after.
    """
    # sign-up and sign-in need the rate-limit store too, so the session is made directly through the services
    await api.container.accounts.create_user("direct@example.com", "correct horse battery staple")
    user = await api.container.users.get_by_email("direct@example.com")
    assert user is not None
    pair = await api.container.sessions.start(user, amr=("pwd",), context=RequestContext())
    assert (await api.client.get("/v1/me", headers=bearer(pair.access_token))).status_code == 200

    # /oauth/revoke is rate-limited (Redis), so the revocation goes through the service it calls
    await api.container.sessions.revoke_access_token(pair.access_token, RequestContext())
    response = await api.client.get("/v1/me", headers=bearer(pair.access_token))
    assert response.status_code == 401
    assert response.json()["detail"] == "revoked"


@pytest.mark.threat("T-ABU-06")
async def test_rate_limited_routes_refuse_when_counters_cannot_be_read(api: RunningApp) -> None:
    response = await api.client.post(
        "/v1/login", json={"email": "a@example.com", "password": "whatever pass"}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"
    oauth = await api.client.post(
        "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "twr_x"}
    )
    assert oauth.status_code == 503
    assert oauth.json()["error"] == "temporarily_unavailable"


async def test_readiness_names_redis(api: RunningApp) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}

"""The routes take and give tokens only through the transports: a second transport works without a route change.

The app's bearer transport is joined by ``CookieLike`` (tests/transport_support.py), shaped as the cookie
transport of browser apps will be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import RunningApp, bearer, make_settings, running_app
from tests.transport_support import COOKIE, CookieLike
from tokenward.api.transport import BearerTransport, Transports


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("tokenward"))) as running:
        running.app.state.transports = Transports(BearerTransport(), CookieLike())
        yield running


async def test_a_refresh_by_cookie_is_answered_by_cookie(api: RunningApp) -> None:
    _, signed_in = await api.new_user()
    response = await api.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token"},
        headers={"Cookie": f"{COOKIE}={signed_in['refresh_token']}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    assert body["session_id"] == signed_in["session_id"]
    assert response.headers["cache-control"] == "no-store"
    successor = response.cookies[COOKIE]
    assert successor.startswith("twr_")
    assert successor != signed_in["refresh_token"]
    me = await api.client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200


async def test_the_old_refresh_token_is_refused_by_cookie_too(api: RunningApp) -> None:
    """Attack: replay a rotated refresh token through the second transport; the same reuse refusal applies."""
    _, signed_in = await api.new_user()
    first = await api.refresh(signed_in["refresh_token"])
    assert first.status_code == 200
    api.clock.advance(3600)
    replay = await api.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token"},
        headers={"Cookie": f"{COOKIE}={signed_in['refresh_token']}"},
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert COOKIE not in replay.cookies


async def test_sign_out_by_cookie_clears_the_cookie_and_by_bearer_sends_none(api: RunningApp) -> None:
    _, by_cookie = await api.new_user()
    logout = await api.client.post(
        "/v1/logout",
        headers=bearer(by_cookie["access_token"]) | {"Cookie": f"{COOKIE}={by_cookie['refresh_token']}"},
    )
    assert logout.status_code == 200
    assert logout.headers["set-cookie"].startswith(f'{COOKIE}=""; ')
    assert "Max-Age=0" in logout.headers["set-cookie"]

    api.client.cookies.clear()
    _, by_bearer = await api.new_user()
    logout = await api.client.post("/v1/logout", headers=bearer(by_bearer["access_token"]))
    assert logout.status_code == 200
    assert "set-cookie" not in logout.headers


async def test_sign_in_stays_on_the_default_transport(api: RunningApp) -> None:
    _, signed_in = await api.new_user()
    assert signed_in["refresh_token"].startswith("twr_")

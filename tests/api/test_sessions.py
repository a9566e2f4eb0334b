"""GET /v1/me/sessions and DELETE /v1/me/sessions/{id}: what the user sees, and ending one session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import RunningApp, bearer, make_settings, running_app


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("sessions"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


async def test_the_list_shows_every_active_session_with_device_and_current_flag(api: RunningApp) -> None:
    email, first = await api.new_user()
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    second = await api.client.post(
        "/v1/login",
        json={"email": email, "password": "correct horse battery staple"},
        headers={"User-Agent": firefox},
    )
    response = await api.client.get("/v1/me/sessions", headers=bearer(first["access_token"]))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    sessions = {item["id"]: item for item in response.json()["sessions"]}
    assert set(sessions) == {first["session_id"], second.json()["session_id"]}
    mine = sessions[first["session_id"]]
    assert mine["current"] is True
    assert mine["device"] == "pytest-client"
    assert mine["ip"] == "203.0.113.7"
    assert mine["amr"] == ["pwd"]
    assert {"created_at", "last_used_at"} <= mine.keys()
    other = sessions[second.json()["session_id"]]
    assert other["current"] is False
    assert other["device"] == "Firefox on Linux"
    assert firefox not in response.text


async def test_ended_sessions_are_not_listed(api: RunningApp) -> None:
    email, first = await api.new_user()
    second = await api.login(email)
    await api.client.post("/v1/logout", headers=bearer(second["access_token"]))

    response = await api.client.get("/v1/me/sessions", headers=bearer(first["access_token"]))

    assert [item["id"] for item in response.json()["sessions"]] == [first["session_id"]]


async def test_deleting_a_session_ends_its_refresh_and_access_tokens_at_once(api: RunningApp) -> None:
    email, phone = await api.new_user()
    laptop = await api.login(email)

    deleted = await api.client.delete(
        f"/v1/me/sessions/{phone['session_id']}", headers=bearer(laptop["access_token"])
    )

    assert deleted.status_code == 204
    me = await api.client.get("/v1/me", headers=bearer(phone["access_token"]))
    assert me.status_code == 401
    assert me.json()["code"] == "invalid_token"
    refreshed = await api.refresh(phone["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    still = await api.client.get("/v1/me", headers=bearer(laptop["access_token"]))
    assert still.status_code == 200


async def test_deleting_an_unknown_or_already_ended_session_is_404(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    unknown = await api.client.delete(
        "/v1/me/sessions/no-such-session", headers=bearer(tokens["access_token"])
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"


async def test_the_list_needs_an_access_token(api: RunningApp) -> None:
    response = await api.client.get("/v1/me/sessions")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"

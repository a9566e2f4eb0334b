"""The README's walk-through, end to end through HTTP: sign up, sign in, /v1/me, refresh, reuse, sign out."""

from __future__ import annotations

import pytest

from tests.harness import RunningApp, bearer


async def test_sign_up_sign_in_call_refresh_and_sign_out(api: RunningApp) -> None:
    signup = await api.sign_up("walk@example.com")
    assert signup.status_code == 202
    tokens = await api.login("walk@example.com")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600

    me = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "walk@example.com"

    refreshed = await api.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200
    new_tokens = refreshed.json()
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    assert new_tokens["session_id"] == tokens["session_id"]

    logout = await api.client.post("/v1/logout", headers=bearer(new_tokens["access_token"]))
    assert logout.status_code == 200
    assert logout.json() == {"status": "logged_out", "sessions_ended": 1}
    after = await api.client.get("/v1/me", headers=bearer(new_tokens["access_token"]))
    assert after.status_code == 401
    assert after.json()["code"] == "invalid_token"
    assert (await api.refresh(new_tokens["refresh_token"])).json()["error"] == "invalid_grant"


@pytest.mark.threat("T-REF-01")
async def test_reuse_of_a_rotated_refresh_token_after_the_grace_window_revokes_the_session(
    api: RunningApp,
) -> None:
    """Attack: a thief replays a refresh token the owner has already rotated."""
    _, tokens = await api.new_user()
    successor = (await api.refresh(tokens["refresh_token"])).json()
    api.clock.advance(api.settings.refresh_reuse_grace + 1)

    replay = await api.refresh(tokens["refresh_token"])
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_grant",
        "error_description": "Refresh token reuse detected; the session has been revoked",
    }
    # the whole family is gone: the legitimate successor no longer works either, nor the access token
    assert (await api.refresh(successor["refresh_token"])).json()["error"] == "invalid_grant"
    me = await api.client.get("/v1/me", headers=bearer(successor["access_token"]))
    assert me.status_code == 401
    events = await api.container.audit_log.list_events(event_type="refresh_token_reuse")
    assert any(event.session_id == tokens["session_id"] for event in events)


@pytest.mark.threat("T-REF-02")
async def test_second_use_inside_the_grace_window_is_refused_without_revoking(api: RunningApp) -> None:
    """A benign race (two tabs refresh at once) gets a clean error and the winner keeps working."""
    _, tokens = await api.new_user()
    successor = (await api.refresh(tokens["refresh_token"])).json()
    api.clock.advance(max(api.settings.refresh_reuse_grace - 1, 0))

    again = await api.refresh(tokens["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert (await api.refresh(successor["refresh_token"])).status_code == 200


async def test_logout_all_ends_every_session(api: RunningApp) -> None:
    email, first = await api.new_user()
    second = await api.login(email)
    response = await api.client.post("/v1/logout", json={"all": True}, headers=bearer(first["access_token"]))
    assert response.json()["sessions_ended"] == 2
    assert (await api.client.get("/v1/me", headers=bearer(second["access_token"]))).status_code == 401
    assert (await api.refresh(second["refresh_token"])).status_code == 400


@pytest.mark.threat("T-REF-04")
async def test_idle_session_expires(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    api.clock.advance(api.settings.session_idle_ttl + 1)
    response = await api.refresh(tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The session has expired; sign in again",
    }


@pytest.mark.threat("T-REF-04")
async def test_absolute_session_lifetime_is_not_extended_by_refreshing(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    refresh_token = tokens["refresh_token"]
    step = api.settings.session_idle_ttl - 60
    elapsed = 0
    while elapsed + step < api.settings.session_absolute_ttl:
        api.clock.advance(step)
        elapsed += step
        response = await api.refresh(refresh_token)
        assert response.status_code == 200, response.text
        refresh_token = response.json()["refresh_token"]
    api.clock.advance(api.settings.session_absolute_ttl - elapsed + 1)
    response = await api.refresh(refresh_token)
    assert response.json()["error"] == "invalid_grant"


async def test_profile_update_and_read(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    response = await api.client.patch(
        "/v1/me", json={"display_name": "Ada"}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada"
    me = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.json()["display_name"] == "Ada"
    assert set(me.json()) == {"id", "email", "email_verified", "display_name", "created_at"}

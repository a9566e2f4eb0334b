"""Attacks on sessions: reaching into another user's sessions, and using a session after it was ended."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.harness import RunningApp, bearer, make_settings, running_app


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("lifecycle"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


@pytest.mark.threat("T-LIF-01")
async def test_deleting_another_users_session_is_404_and_changes_nothing(api: RunningApp) -> None:
    """Attack: a signed-in user ends (or probes for) a session id of someone else."""
    _, victim = await api.new_user()
    _, attacker = await api.new_user()

    response = await api.client.delete(
        f"/v1/me/sessions/{victim['session_id']}", headers=bearer(attacker["access_token"])
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (await api.client.get("/v1/me", headers=bearer(victim["access_token"]))).status_code == 200
    listed = await api.client.get("/v1/me/sessions", headers=bearer(attacker["access_token"]))
    assert victim["session_id"] not in listed.text


@pytest.mark.threat("T-LIF-02")
@pytest.mark.parametrize(
    "how", ["logout", "logout_all", "delete_session", "revoke_refresh", "password_change"]
)
async def test_an_ended_sessions_access_token_is_refused_on_the_next_request(
    api: RunningApp, how: str
) -> None:
    """Attack: keep using a stolen access token after the owner ended its session (before it expires)."""
    email, stolen = await api.new_user()
    owner = await api.login(email)
    if how == "logout":
        await api.client.post("/v1/logout", headers=bearer(stolen["access_token"]))
    elif how == "logout_all":
        await api.client.post("/v1/logout", json={"all": True}, headers=bearer(owner["access_token"]))
    elif how == "delete_session":
        await api.client.delete(
            f"/v1/me/sessions/{stolen['session_id']}", headers=bearer(owner["access_token"])
        )
    elif how == "revoke_refresh":
        await api.client.post("/oauth/revoke", data={"token": stolen["refresh_token"]})
    else:
        changed = await api.client.post(
            "/v1/me/password",
            json={
                "current_password": "correct horse battery staple",
                "new_password": "a brand new passphrase",
            },
            headers=bearer(owner["access_token"]),
        )
        assert changed.status_code == 200, changed.text

    response = await api.client.get("/v1/me", headers=bearer(stolen["access_token"]))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.json()["detail"] == "revoked"


@pytest.mark.threat("T-LIF-02")
async def test_disabling_a_user_refuses_their_access_tokens_at_once(api: RunningApp) -> None:
    """Attack: an operator disables an account, its holder keeps calling APIs with a live access token."""
    email, tokens = await api.new_user()
    await api.container.accounts.set_disabled(email, True)

    response = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))

    assert response.status_code == 401
    assert response.json()["detail"] == "revoked"


@pytest.mark.threat("T-LIF-02")
async def test_the_deny_list_alone_refuses_a_revoked_session(api: RunningApp) -> None:
    """Another process revoked the session: this one only sees the shared deny-list entry, and refuses."""
    _, tokens = await api.new_user()
    until = api.clock.now().replace(year=api.clock.now().year + 1)
    await api.container.deny_list.deny_session(tokens["session_id"], until)

    response = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))

    assert response.status_code == 401
    assert response.json()["detail"] == "revoked"

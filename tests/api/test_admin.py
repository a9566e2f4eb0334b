"""The admin API over HTTP: scope checks (T-ADM-01), user listing, actions, the audit read API."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from tests.client_support import secret_of
from tests.harness import RunningApp, bearer
from tests.mfa_support import enrol_totp, outbox_messages
from tokenward.domain.clients import ClientSettings


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def _client(api: RunningApp, *scopes: str) -> tuple[str, dict[str, str]]:
    created = await api.container.clients.create("ops", settings=ClientSettings(scopes=frozenset(scopes)))
    return created.client.id, basic(created.client.id, secret_of(created))


@pytest.fixture
async def admin(api: RunningApp) -> tuple[str, dict[str, str]]:
    return await _client(api, "admin")


async def _events(api: RunningApp, event_type: str) -> list[Any]:
    return await api.container.audit_log.list_events(event_type=event_type)


@pytest.mark.threat("T-ADM-01")
async def test_a_client_without_the_admin_scope_is_refused_and_the_attempt_is_audited(
    api: RunningApp,
) -> None:
    client_id, plain = await _client(api)

    response = await api.client.get("/v1/admin/users", headers=plain)

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    denied = (await _events(api, "admin_access_denied"))[0]
    assert denied.details == {"by": "api_client", "by_id": client_id, "action": "GET /v1/admin/users"}
    assert denied.outcome == "refused"


@pytest.mark.threat("T-ADM-01")
async def test_wrong_or_missing_client_credentials_are_refused(api: RunningApp) -> None:
    client_id, _ = await _client(api, "admin")
    _, email_tokens = await api.new_user()

    for headers in ({}, basic(client_id, "tws_wrong"), bearer(email_tokens["access_token"])):
        response = await api.client.get("/v1/admin/users", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "invalid_client"


async def test_users_are_listed_page_by_page(api: RunningApp, admin: tuple[str, dict[str, str]]) -> None:
    _, headers = admin
    for n in range(3):
        await api.sign_up(f"page-{n}@list.example")

    first = await api.client.get("/v1/admin/users", params={"query": "page-", "limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["users"]) == 2
    rest = await api.client.get(
        "/v1/admin/users",
        params={"query": "page-", "limit": 2, "cursor": body["next_cursor"]},
        headers=headers,
    )
    emails = {u["email"] for u in body["users"] + rest.json()["users"]}
    assert emails == {f"page-{n}@list.example" for n in range(3)}
    assert rest.json()["next_cursor"] is None
    assert all("password_hash" not in u for u in body["users"])

    bad = await api.client.get("/v1/admin/users", params={"cursor": "not-a-cursor"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_request"


async def test_show_disable_end_sessions_and_enable(
    api: RunningApp, admin: tuple[str, dict[str, str]]
) -> None:
    client_id, headers = admin
    email, tokens = await api.new_user()
    user_id = (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()["id"]

    shown = (await api.client.get(f"/v1/admin/users/{user_id}", headers=headers)).json()
    assert shown["user"]["email"] == email
    assert len(shown["sessions"]) == 1
    assert shown["last_sign_in"] is not None
    assert shown["factors"] == {"totp": [], "recovery_codes_left": 0}

    ended = await api.client.delete(f"/v1/admin/users/{user_id}/sessions", headers=headers)
    assert ended.json() == {"sessions_ended": 1}
    assert (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 401

    assert (await api.client.post(f"/v1/admin/users/{user_id}/disable", headers=headers)).json()["disabled"]
    refused = await api.client.post(
        "/v1/login", json={"email": email, "password": "correct horse battery staple"}
    )
    assert refused.json()["code"] == "account_disabled"
    await api.client.post(f"/v1/admin/users/{user_id}/enable", headers=headers)
    await api.login(email)

    for event_type in ("admin_user_viewed", "admin_sessions_ended", "user_disabled", "user_enabled"):
        event = (await _events(api, event_type))[0]
        assert event.details["by_id"] == client_id, event_type
        assert event.user_id == user_id


async def test_remove_factor_and_resend_verification(
    api: RunningApp, admin: tuple[str, dict[str, str]]
) -> None:
    _, headers = admin
    email, tokens = await api.new_user()
    user_id = (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()["id"]
    await enrol_totp(api, tokens["access_token"])

    removed = await api.client.delete(f"/v1/admin/users/{user_id}/factors/totp", headers=headers)
    assert removed.status_code == 204
    again = await api.client.delete(f"/v1/admin/users/{user_id}/factors/totp", headers=headers)
    assert again.status_code == 404
    login = await api.login(email)
    assert "access_token" in login  # no second step any more

    before = len(outbox_messages(api, "email_verification", email))
    sent = await api.client.post(f"/v1/admin/users/{user_id}/verification", headers=headers)
    assert sent.status_code == 202
    assert len(outbox_messages(api, "email_verification", email)) == before + 1


async def test_unknown_user_is_404(api: RunningApp, admin: tuple[str, dict[str, str]]) -> None:
    _, headers = admin
    response = await api.client.post("/v1/admin/users/no-such-user/disable", headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_audit_read_api_filters_and_pages(api: RunningApp, admin: tuple[str, dict[str, str]]) -> None:
    _, headers = admin
    _, tokens = await api.new_user()
    user_id = (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()["id"]
    await api.client.post("/v1/logout", headers=bearer(tokens["access_token"]))

    page = await api.client.get("/v1/admin/audit", params={"user_id": user_id, "limit": 2}, headers=headers)
    body = page.json()
    assert [e["type"] for e in body["events"]] == ["logout", "sign_in_device_checked"]
    assert body["events"][0]["ip"] == "203.0.113.7"
    rest = await api.client.get(
        "/v1/admin/audit", params={"user_id": user_id, "cursor": body["next_cursor"]}, headers=headers
    )
    assert [e["type"] for e in rest.json()["events"]][-1] == "signup"

    typed = await api.client.get("/v1/admin/audit", params={"type": "logout", "limit": 500}, headers=headers)
    assert {e["type"] for e in typed.json()["events"]} == {"logout"}
    later = (api.clock.now() + timedelta(seconds=1)).isoformat()
    empty = await api.client.get(
        "/v1/admin/audit", params={"since": later, "user_id": user_id}, headers=headers
    )
    assert empty.json()["events"] == []

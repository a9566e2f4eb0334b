"""POST /oauth/introspect (RFC 7662): client authentication, the active and inactive answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.client_support import secret_of
from tests.harness import TEST_AUDIENCE, TEST_ISSUER, RunningApp, make_settings, running_app
from tokenward.domain.clients import NewClient


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("introspect"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def client(api: RunningApp) -> NewClient:
    return await api.container.clients.create("orders api")


async def _introspect(api: RunningApp, client: NewClient, token: str, **extra: str) -> Any:
    return await api.client.post(
        "/oauth/introspect", data={"token": token, **extra}, auth=(client.client.id, secret_of(client))
    )


async def test_an_active_access_token_is_described_by_its_claims(api: RunningApp, client: NewClient) -> None:
    _, tokens = await api.new_user()

    response = await _introspect(api, client, tokens["access_token"], token_type_hint="access_token")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["iss"] == TEST_ISSUER
    assert body["aud"] == TEST_AUDIENCE
    assert body["sid"] == tokens["session_id"]
    assert body["scope"] == "openid profile"
    assert body["exp"] - body["iat"] == api.settings.access_token_ttl
    assert {"sub", "jti", "nbf", "auth_time", "amr"} <= body.keys()
    assert "email" not in body


async def test_an_active_refresh_token_is_described_too(api: RunningApp, client: NewClient) -> None:
    _, tokens = await api.new_user()

    body = (await _introspect(api, client, tokens["refresh_token"])).json()

    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["sid"] == tokens["session_id"]
    assert body["exp"] > body["iat"]


@pytest.mark.parametrize(
    "token", ["garbage", "twr_" + "A" * 43, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c"]
)
async def test_anything_invalid_is_exactly_inactive(api: RunningApp, client: NewClient, token: str) -> None:
    response = await _introspect(api, client, token)
    assert response.status_code == 200
    assert response.json() == {"active": False}


async def test_revoked_expired_and_rotated_tokens_are_inactive(api: RunningApp, client: NewClient) -> None:
    _, revoked = await api.new_user()
    await api.client.post("/oauth/revoke", data={"token": revoked["refresh_token"]})
    _, rotated = await api.new_user()
    assert (await api.refresh(rotated["refresh_token"])).status_code == 200
    _, expiring = await api.new_user()

    for token in (revoked["access_token"], revoked["refresh_token"], rotated["refresh_token"]):
        assert (await _introspect(api, client, token)).json() == {"active": False}

    api.clock.advance(api.settings.access_token_ttl + api.settings.token_leeway + 1)
    try:
        assert (await _introspect(api, client, expiring["access_token"])).json() == {"active": False}
        assert (await _introspect(api, client, expiring["refresh_token"])).json()["active"] is True
    finally:
        api.clock.advance(-(api.settings.access_token_ttl + api.settings.token_leeway + 1))


async def test_credentials_may_come_in_the_body(api: RunningApp, client: NewClient) -> None:
    _, tokens = await api.new_user()
    response = await api.client.post(
        "/oauth/introspect",
        data={
            "token": tokens["access_token"],
            "client_id": client.client.id,
            "client_secret": secret_of(client),
        },
    )
    assert response.json()["active"] is True


async def test_two_authentication_methods_at_once_are_refused(api: RunningApp, client: NewClient) -> None:
    response = await api.client.post(
        "/oauth/introspect",
        data={"token": "x", "client_id": client.client.id, "client_secret": secret_of(client)},
        auth=(client.client.id, secret_of(client)),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_deleted_client_can_no_longer_introspect(api: RunningApp) -> None:
    created = await api.container.clients.create("short-lived")
    await api.container.clients.delete(created.client.id)

    response = await _introspect(api, created, "anything")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"

"""Attacks on introspection and revocation: guessing client credentials, probing tokens, learning why."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from tests.client_support import secret_of
from tests.harness import RunningApp, make_settings, running_app

from tokenward.domain.clients import hash_client_secret


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("clients"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


@pytest.mark.threat("T-LIF-03")
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"twapi-unknown:tws_guess").decode(),
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer something",
    ],
)
async def test_introspection_without_valid_client_credentials_is_401_basic(
    api: RunningApp, authorization: str | None
) -> None:
    """Attack: use the introspection endpoint as an oracle without being a registered resource server."""
    _, tokens = await api.new_user()
    headers = {"Authorization": authorization} if authorization else {}

    response = await api.client.post(
        "/oauth/introspect", data={"token": tokens["access_token"]}, headers=headers
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert "active" not in response.json()


@pytest.mark.threat("T-LIF-03")
async def test_a_wrong_secret_and_an_unknown_client_get_the_same_answer(api: RunningApp) -> None:
    """Attack: tell registered client ids from unknown ones by the answer."""
    created = await api.container.clients.create("inventory")

    wrong = await api.client.post(
        "/oauth/introspect", data={"token": "x"}, auth=(created.client.id, "tws_wrong")
    )
    unknown = await api.client.post(
        "/oauth/introspect", data={"token": "x"}, auth=("twapi-000000", "tws_wrong")
    )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


@pytest.mark.threat("T-LIF-03")
async def test_client_secrets_are_stored_only_as_hashes(api: RunningApp) -> None:
    """Attack: read client secrets from a copy of the database."""
    created = await api.container.clients.create("reports")

    stored = next(c for c in await api.container.clients.list_clients() if c.id == created.client.id)

    assert stored.secret_hash == hash_client_secret(secret_of(created))
    assert secret_of(created) not in repr(stored)
    assert secret_of(created) not in repr(created)
    assert len(secret_of(created)) >= 4 + 43  # 256 random bits


@pytest.mark.threat("T-LIF-04")
async def test_revocation_answers_the_same_for_live_dead_and_made_up_tokens(api: RunningApp) -> None:
    """Attack: use /oauth/revoke to find out whether a token exists or is valid."""
    _, tokens = await api.new_user()
    answers = [
        await api.client.post("/oauth/revoke", data={"token": token})
        for token in (tokens["refresh_token"], tokens["refresh_token"], "twr_" + "B" * 43, "junk")
    ]
    assert {(r.status_code, r.content) for r in answers} == {(200, b"")}


@pytest.mark.threat("T-LIF-04")
async def test_introspection_never_says_why_a_token_is_inactive(api: RunningApp) -> None:
    """Attack: learn from introspection whether a token is expired, revoked or forged."""
    created = await api.container.clients.create("probe")
    _, tokens = await api.new_user()
    await api.client.post("/oauth/revoke", data={"token": tokens["refresh_token"]})
    forged = tokens["access_token"][:-4] + ("AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB")

    bodies = [
        (
            await api.client.post(
                "/oauth/introspect", data={"token": token}, auth=(created.client.id, secret_of(created))
            )
        ).text
        for token in (tokens["access_token"], tokens["refresh_token"], forged, "nonsense")
    ]

    assert set(bodies) == {'{"active":false}'}

"""POST /oauth/revoke (RFC 7009): conformance of answers and what each kind of token revocation ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.client_support import secret_of
from tests.harness import RunningApp, bearer, make_settings, running_app


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("revoke"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


async def _revoke(api: RunningApp, **data: str) -> Any:
    return await api.client.post("/oauth/revoke", data=data)


async def test_revoking_a_refresh_token_ends_the_session_and_its_access_tokens(api: RunningApp) -> None:
    _, tokens = await api.new_user()

    response = await _revoke(api, token=tokens["refresh_token"], token_type_hint="refresh_token")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert (await api.refresh(tokens["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 401


async def test_revoking_an_access_token_ends_only_that_token(api: RunningApp) -> None:
    _, tokens = await api.new_user()

    response = await _revoke(api, token=tokens["access_token"], token_type_hint="access_token")

    assert response.status_code == 200
    refused = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "revoked"
    refreshed = await api.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200
    fresh = await api.client.get("/v1/me", headers=bearer(refreshed.json()["access_token"]))
    assert fresh.status_code == 200


async def test_a_wrong_hint_still_finds_the_token(api: RunningApp) -> None:
    """RFC 7009 §2.1: the hint is only a hint; the server looks further when it is wrong."""
    _, tokens = await api.new_user()

    await _revoke(api, token=tokens["refresh_token"], token_type_hint="access_token")

    assert (await api.refresh(tokens["refresh_token"])).status_code == 400


@pytest.mark.parametrize(
    "token",
    ["twr_" + "A" * 43, "not a token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x" * 4000],
)
async def test_unknown_and_invalid_tokens_get_200(api: RunningApp, token: str) -> None:
    """RFC 7009 §2.2: invalid tokens do not cause an error response."""
    response = await _revoke(api, token=token)
    assert response.status_code == 200
    assert response.content == b""


async def test_revoking_twice_is_fine(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    assert (await _revoke(api, token=tokens["refresh_token"])).status_code == 200
    assert (await _revoke(api, token=tokens["refresh_token"])).status_code == 200


async def test_an_unknown_hint_is_unsupported_token_type(api: RunningApp) -> None:
    response = await _revoke(api, token="anything", token_type_hint="id_token")
    assert response.status_code == 400
    assert response.json() == {
        "error": "unsupported_token_type",
        "error_description": "token_type_hint must be access_token or refresh_token",
    }


async def test_a_missing_token_is_invalid_request(api: RunningApp) -> None:
    response = await _revoke(api, token_type_hint="refresh_token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_registered_client_may_revoke_with_its_credentials(api: RunningApp) -> None:
    created = await api.container.clients.create("billing")
    _, tokens = await api.new_user()

    response = await api.client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(created.client.id, secret_of(created)),
    )

    assert response.status_code == 200
    assert (await api.refresh(tokens["refresh_token"])).status_code == 400

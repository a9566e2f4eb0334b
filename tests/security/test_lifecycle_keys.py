"""Attacks on signing keys: a compromised key, and keys that turn over under a live service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.harness import RunningApp, bearer, make_settings, running_app


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("keys"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


async def _published(api: RunningApp) -> set[str]:
    return {key["kid"] for key in (await api.client.get("/.well-known/jwks.json")).json()["keys"]}


@pytest.mark.threat("T-LIF-05")
async def test_tokens_signed_by_a_revoked_key_are_refused_at_once(api: RunningApp) -> None:
    """Attack: a signing key leaked; the thief mints (or replays) tokens signed with it."""
    _, tokens = await api.new_user()
    compromised = api.container.key_ring.signing_key.kid

    replacement = await api.container.keys.revoke(compromised)
    await api.container.reload_keys()

    refused = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "unknown_kid"
    assert compromised not in await _published(api)
    assert replacement is not None
    assert replacement.kid in await _published(api)
    _, fresh = await api.new_user()
    assert (await api.client.get("/v1/me", headers=bearer(fresh["access_token"]))).status_code == 200


@pytest.mark.threat("T-LIF-06")
async def test_rotation_keeps_earlier_tokens_valid_and_publishes_both_keys(api: RunningApp) -> None:
    """Rotation must not lock out users: tokens signed by the previous key verify until they expire."""
    _, before = await api.new_user()
    old_kid = api.container.key_ring.signing_key.kid

    new = await api.container.keys.rotate()
    await api.container.reload_keys()

    assert {old_kid, new.kid} <= await _published(api)
    assert (await api.client.get("/v1/me", headers=bearer(before["access_token"]))).status_code == 200
    _, after = await api.new_user()
    assert api.container.key_ring.signing_key.kid == new.kid
    assert (await api.client.get("/v1/me", headers=bearer(after["access_token"]))).status_code == 200


@pytest.mark.threat("T-LIF-06")
async def test_a_key_activated_by_another_process_is_learnt_on_its_first_token(api: RunningApp) -> None:
    """Another process rotated and signs with a kid this one has not loaded: it reloads instead of refusing."""
    stale = api.container.key_ring
    await api.container.keys.rotate()
    other_process_ring = await api.container.keys.load()
    api.container.key_holder._ring = other_process_ring  # sign as the other process would
    _, tokens = await api.new_user()
    api.container.key_holder._ring = stale  # this process has not reloaded yet
    api.clock.advance(5)  # past the unknown-kid reload rate limit an earlier test used up

    response = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))

    assert response.status_code == 200
    assert api.container.key_ring.signing_key.kid == other_process_ring.signing_key.kid

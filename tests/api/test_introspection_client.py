"""``IntrospectingVerifier`` (strict mode of tokenward_client) against a real app: revocation before expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.client_support import secret_of
from tests.harness import TEST_AUDIENCE, TEST_ISSUER, RunningApp, bearer, make_settings, running_app
from tokenward.domain.clients import NewClient
from tokenward_client import IntrospectingVerifier, InvalidToken, KeyUnavailable

BASE = "https://auth.example.test"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("strict"), rate_limits_enabled=False, background_tasks=False
    )
    async with running_app(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def registered(api: RunningApp) -> NewClient:
    return await api.container.clients.create("strict resource server")


def strict(api: RunningApp, client_id: str, secret: str, http: httpx.AsyncClient) -> IntrospectingVerifier:
    return IntrospectingVerifier(
        jwks_url=f"{BASE}/.well-known/jwks.json",
        issuer=TEST_ISSUER,
        audiences=TEST_AUDIENCE,
        client_id=client_id,
        client_secret=secret,
        http_client=http,
        clock=api.clock,
    )


@pytest.fixture
async def http(api: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url=BASE) as client:
        yield client


async def test_a_revoked_token_is_refused_once_the_short_cache_runs_out(
    api: RunningApp, registered: NewClient, http: httpx.AsyncClient
) -> None:
    verifier = strict(api, registered.client.id, secret_of(registered), http)
    _, tokens = await api.new_user()
    assert (await verifier.verify(tokens["access_token"])).session_id == tokens["session_id"]

    await api.client.post("/v1/logout", headers=bearer(tokens["access_token"]))
    # still cached as active for up to cache_seconds: the documented trade-off
    assert (await verifier.verify(tokens["access_token"])).session_id == tokens["session_id"]
    api.clock.advance(5)

    with pytest.raises(InvalidToken) as refused:
        await verifier.verify(tokens["access_token"])
    assert refused.value.reason == "revoked"


async def test_local_refusals_never_reach_the_issuer(
    api: RunningApp, registered: NewClient, http: httpx.AsyncClient
) -> None:
    calls: list[str] = []
    http.event_hooks["request"].append(lambda request: _count(calls, request))
    verifier = strict(api, registered.client.id, secret_of(registered), http)

    with pytest.raises(InvalidToken) as refused:
        await verifier.verify("not.a.token")
    assert refused.value.reason == "malformed"
    assert not [url for url in calls if url.endswith("/oauth/introspect")]


async def _count(calls: list[str], request: httpx.Request) -> None:
    calls.append(str(request.url))


async def test_wrong_client_credentials_fail_closed(api: RunningApp, http: httpx.AsyncClient) -> None:
    """An operator mistake: refused as unavailable (503), never accepted and never blamed on the token."""
    verifier = strict(api, "twapi-unknown", "tws_wrong", http)
    _, tokens = await api.new_user()

    with pytest.raises(KeyUnavailable):
        await verifier.verify(tokens["access_token"])


def test_the_cache_is_bounded_to_a_minute() -> None:
    with pytest.raises(ValueError, match="cache_seconds"):
        IntrospectingVerifier(
            jwks_url=f"{BASE}/.well-known/jwks.json",
            issuer=TEST_ISSUER,
            audiences=TEST_AUDIENCE,
            client_id="id",
            client_secret="secret",
            cache_seconds=3600,
        )

"""CORS for registered public clients: their redirect URIs' origins may call discovery, JWKS, token, userinfo
and revocation from a browser, without credentials; nothing else, and no other origin."""

from __future__ import annotations

import pytest

from tests.harness import RunningApp
from tokenward.domain.clients import ClientSettings, ClientType

SPA = "https://spa.example"
SERVER_APP = "https://server-app.example"


@pytest.fixture(scope="module", autouse=True)
async def clients(api: RunningApp) -> None:
    await api.container.clients.create("spa", ClientType.PUBLIC, ClientSettings(redirect_uris=(f"{SPA}/cb",)))
    await api.container.clients.create(
        "server", ClientType.CONFIDENTIAL, ClientSettings(redirect_uris=(f"{SERVER_APP}/cb",))
    )


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/userinfo"])
async def test_a_public_clients_origin_may_call_the_oidc_endpoints(api: RunningApp, path: str) -> None:
    response = await api.client.options(path, headers=preflight(SPA))

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SPA
    assert "access-control-allow-credentials" not in response.headers


async def test_discovery_answers_the_public_clients_origin(api: RunningApp) -> None:
    response = await api.client.get("/.well-known/openid-configuration", headers={"Origin": SPA})
    assert response.headers["access-control-allow-origin"] == SPA
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("origin", [SERVER_APP, "https://evil.example", "https://spa.example.evil"])
async def test_other_origins_get_no_cors(api: RunningApp, origin: str) -> None:
    response = await api.client.options("/oauth/token", headers=preflight(origin))
    assert "access-control-allow-origin" not in response.headers


async def test_a_public_clients_origin_gets_no_cors_on_the_account_api(api: RunningApp) -> None:
    response = await api.client.get("/v1/me", headers={"Origin": SPA})
    assert "access-control-allow-origin" not in response.headers

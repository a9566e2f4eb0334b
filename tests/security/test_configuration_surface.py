"""What the deployed server does not expose (ASVS 5.0 V13.4): no TRACE, no interactive API documentation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.harness import RunningApp, make_settings, running_app


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("surface"))) as running:
        yield running


@pytest.mark.parametrize(
    "path", ["/v1/me", "/oauth/token", "/.well-known/jwks.json", "/healthz", "/account/sign-in"]
)
async def test_trace_is_refused_on_every_kind_of_route(api: RunningApp, path: str) -> None:
    """Attack: TRACE echoes the request, cookies and Authorization included (cross-site tracing)."""
    response = await api.client.request("TRACE", path, headers={"Authorization": "Bearer secret-value"})
    assert response.status_code == 405
    assert "secret-value" not in response.text


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_no_interactive_api_documentation_is_served(api: RunningApp, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 404
    assert (await api.client.get("/openapi.json")).status_code == 200  # published on purpose

"""Cross-site attacks on the JSON API: script injected through stored values, and requests forged by another site.

The API speaks JSON to programs and authenticates them by the ``Authorization: Bearer`` header. These tests send
what a hostile page would make a victim's browser send, and assert that nothing runs and nothing changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.harness import RunningApp, bearer, make_settings, running_app

SCRIPT = "<script>alert(document.cookie)</script>"
HOSTILE_ORIGIN = "https://attacker.example"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("cross-site"))) as running:
        yield running


def assert_not_renderable(headers: httpx.Headers, content_type: str) -> None:
    """An answer a browser will not render as a page nor sniff into one, and that no script may load."""
    assert headers["content-type"].startswith(content_type)
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in headers["content-security-policy"]


@pytest.mark.threat("T-API-07")
async def test_a_stored_script_comes_back_as_inert_json(api: RunningApp) -> None:
    """Attack: store markup as a display name, hoping a page that shows the profile runs it."""
    _, tokens = await api.new_user()
    headers = bearer(tokens["access_token"])
    stored = await api.client.patch("/v1/me", json={"display_name": SCRIPT}, headers=headers)
    assert stored.status_code == 200, stored.text
    profile = await api.client.get("/v1/me", headers=headers)
    assert_not_renderable(profile.headers, "application/json")
    assert (
        profile.json()["display_name"] == SCRIPT
    )  # data, exactly as given; the page that shows it escapes it


@pytest.mark.threat("T-API-07")
async def test_markup_in_a_path_is_not_reflected_as_a_page(api: RunningApp) -> None:
    """Attack: a link whose path carries a script, hoping the error page reflects it."""
    response = await api.client.get("/v1/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert response.status_code == 404
    assert_not_renderable(response.headers, "application/problem+json")
    assert "<script>" not in response.text


#: what a page on another site can make a browser send without a CORS preflight, with the victim's cookies
FORGED_HEADERS = {
    "Origin": HOSTILE_ORIGIN,
    "Cookie": "__Host-tokenward-refresh=twr_stolen-by-nobody; access_token=eyJ.not.sent",
}


@pytest.mark.threat("T-API-08")
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "all=true"),
        ("text/plain", '{"all": true}'),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
async def test_a_cross_site_form_post_cannot_sign_the_victim_out(
    api: RunningApp, content_type: str, body: str
) -> None:
    """Attack: a hidden form (or a no-preflight ``fetch``) on another site posts to /v1/logout with the victim's
    cookies. Only JSON bodies are read, which a form cannot send; and no cookie is a credential here."""
    _, tokens = await api.new_user()
    forged = await api.client.post(
        "/v1/logout", content=body, headers={**FORGED_HEADERS, "Content-Type": content_type}
    )
    assert (forged.status_code, forged.json()["code"]) == (415, "unsupported_media_type")
    assert "access-control-allow-origin" not in forged.headers
    assert (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 200


@pytest.mark.threat("T-API-08")
async def test_a_forged_post_without_a_body_carries_no_credential(api: RunningApp) -> None:
    """The same attack with no body at all: the browser sends cookies, never a bearer token."""
    _, tokens = await api.new_user()
    forged = await api.client.post("/v1/logout", headers=FORGED_HEADERS)
    assert (forged.status_code, forged.json()["code"]) == (401, "authentication_required")
    assert (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 200


@pytest.mark.threat("T-API-08")
async def test_another_site_cannot_read_answers_or_preflight_its_way_in(api: RunningApp) -> None:
    """Attack: a script on another site calls the API with credentials and reads the answer."""
    _, tokens = await api.new_user()
    preflight = await api.client.options(
        "/v1/me",
        headers={
            "Origin": HOSTILE_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in preflight.headers
    answer = await api.client.get(
        "/v1/me", headers={**bearer(tokens["access_token"]), "Origin": HOSTILE_ORIGIN}
    )
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers

"""CORS allow-list over HTTP, OPTIONS on every route, the CSRF check of cookie requests, and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from tests.browser_support import APP_ORIGIN, browser_app
from tests.harness import TEST_ISSUER, RunningApp, bearer
from tokenward.api.browser import BrowserConfig
from tokenward.api.csrf import check_cookie_request
from tokenward.config import Mode, Settings
from tokenward.errors import CsrfFailed

EVIL = "https://evil.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("cors")) as running:
        yield running


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    headers = response.headers
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


@pytest.mark.threat("T-BRW-06")
async def test_preflight_from_an_allowed_origin_names_the_routes_methods(api: RunningApp) -> None:
    response = await api.client.options(
        "/v1/me",
        headers={
            "Origin": APP_ORIGIN,
            **PREFLIGHT,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert _cors_headers(response) == {
        "access-control-allow-origin": APP_ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "DELETE, GET, OPTIONS, PATCH",
        "access-control-allow-headers": "authorization, content-type, x-tokenward-csrf, x-tokenward-transport",
        "access-control-max-age": "600",
    }
    assert "Origin" in response.headers["vary"]


@pytest.mark.threat("T-BRW-06")
@pytest.mark.parametrize(
    "origin",
    [EVIL, "null", APP_ORIGIN + ".evil.example", APP_ORIGIN.replace("https", "http"), APP_ORIGIN + ":443"],
)
async def test_preflight_from_any_other_origin_gets_no_cors_header(api: RunningApp, origin: str) -> None:
    """Attack: a page on another (or a look-alike) origin asks to call the API with the user's cookies."""
    response = await api.client.options("/v1/login", headers={"Origin": origin, **PREFLIGHT})
    assert response.status_code == 204
    assert _cors_headers(response) == {}
    assert "Origin" in response.headers["vary"]


@pytest.mark.threat("T-BRW-06")
async def test_preflight_for_a_method_or_header_the_route_does_not_take_is_not_approved(
    api: RunningApp,
) -> None:
    wrong_method = await api.client.options(
        "/v1/login", headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "DELETE"}
    )
    wrong_header = await api.client.options(
        "/v1/login",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-other",
        },
    )
    assert _cors_headers(wrong_method) == {}
    assert _cors_headers(wrong_header) == {}


@pytest.mark.threat("T-BRW-06")
async def test_answers_name_only_the_allowed_origin_and_never_a_wildcard(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    allowed = await api.client.get("/v1/me", headers={"Origin": APP_ORIGIN, **bearer(tokens["access_token"])})
    other = await api.client.get("/v1/me", headers={"Origin": EVIL, **bearer(tokens["access_token"])})
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "RateLimit" in allowed.headers["access-control-expose-headers"]
    assert _cors_headers(other) == {}
    assert allowed.headers["vary"] == other.headers["vary"] == "Origin"


@pytest.mark.parametrize("path", ["/account/sign-in", "/oauth/introspect", "/healthz"])
async def test_options_on_a_route_without_cors_answers_allow_only(api: RunningApp, path: str) -> None:
    response = await api.client.options(path, headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert response.status_code == 204
    assert "OPTIONS" in response.headers["allow"]
    assert _cors_headers(response) == {}


async def test_options_on_an_unknown_path_is_404(api: RunningApp) -> None:
    assert (await api.client.options("/no-such-path")).status_code == 404


@pytest.mark.threat("T-BRW-06")
@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "https://*.example.com",
        "https://app.example.com/",
        "https://app.example.com/path",
        "app.example.com",
        "HTTPS://APP.EXAMPLE.COM",
    ],
)
def test_settings_refuse_anything_but_exact_origins(tmp_path: Path, origin: str) -> None:
    with pytest.raises(ValidationError, match="exact origin"):
        Settings(data_dir=tmp_path, cors_origins=[origin])


@pytest.mark.threat("T-BRW-06")
def test_production_refuses_plain_http_origins_and_return_urls(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mode=Mode.PRODUCTION,
        cors_origins=["http://app.example.com"],
        return_urls=["http://app.example.com/x"],
    )
    problems = [p for p in settings.insecure_settings() if "TOKENWARD_CORS_ORIGINS" in p]
    assert len(problems) == 2


def test_environment_lists_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENWARD_CORS_ORIGINS", "https://a.example, https://b.example:8443")
    assert Settings(data_dir=tmp_path).cors_origins == ["https://a.example", "https://b.example:8443"]


@pytest.mark.parametrize(
    "logo", ["https://cdn.example/logo.png", "//cdn.example/logo.png", "javascript:alert(1)"]
)
def test_logo_must_not_come_from_another_origin(tmp_path: Path, logo: str) -> None:
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, brand_logo_url=logo)


CONFIG = BrowserConfig(cors_origins=frozenset({APP_ORIGIN}), public_url=TEST_ISSUER)


@pytest.mark.threat("T-BRW-01")
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "X-Tokenward-CSRF": "1"},
        {"Origin": "null", "X-Tokenward-CSRF": "1"},
        {"Sec-Fetch-Site": "cross-site", "X-Tokenward-CSRF": "1"},
        {"Referer": EVIL + "/page", "X-Tokenward-CSRF": "1"},
        {"X-Tokenward-CSRF": "1"},
        {"Origin": APP_ORIGIN},
        {"Referer": "https://[broken/", "X-Tokenward-CSRF": "1"},
    ],
)
def test_cookie_requests_need_an_allowed_origin_and_the_custom_header(headers: dict[str, str]) -> None:
    with pytest.raises(CsrfFailed):
        check_cookie_request(Headers(headers), CONFIG)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": APP_ORIGIN, "X-Tokenward-CSRF": "1"},
        {"Origin": TEST_ISSUER, "X-Tokenward-CSRF": "1"},
        {"Sec-Fetch-Site": "same-origin", "X-Tokenward-CSRF": "1"},
        {"Referer": APP_ORIGIN + "/app/", "X-Tokenward-CSRF": "1"},
    ],
)
def test_cookie_requests_from_allowed_pages_pass(headers: dict[str, str]) -> None:
    check_cookie_request(Headers(headers), CONFIG)


@pytest.mark.threat("T-BRW-06")
@pytest.mark.parametrize(
    ("path", "method"),
    [("/v1/me", "GET"), ("/v1/logout", "POST"), ("/oauth/token", "POST"), ("/v1/login", "POST")],
)
async def test_an_app_may_send_its_one_set_of_headers_on_every_route(
    api: RunningApp, path: str, method: str
) -> None:
    """One header list for every CORS route (api.cors says why): the README app sends the CSRF header on
    every call, also where no cookie authenticates, and each preflight is approved."""
    response = await api.client.options(
        path,
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-tokenward-csrf",
        },
    )
    assert response.status_code == 204
    assert _cors_headers(response)["access-control-allow-origin"] == APP_ORIGIN
    assert method in response.headers["access-control-allow-methods"].split(", ")

"""The cookie transport over HTTP: cookie attributes, rotation, sign-out, and the CSRF refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.browser_support import APP_ORIGIN, browser_app, https_client
from tests.harness import STRONG_PASSWORD, RunningApp, bearer
from tests.mfa_support import enrol_totp

COOKIE = "__Host-tokenward-refresh"
FROM_APP = {"Origin": APP_ORIGIN, "X-Tokenward-CSRF": "1"}
ASK_COOKIE = {**FROM_APP, "X-Tokenward-Transport": "cookie"}


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("cookies")) as running:
        yield running


async def _sign_in(api: RunningApp, browser: httpx.AsyncClient) -> tuple[str, httpx.Response]:
    email, _ = await api.new_user()
    response = await browser.post(
        "/v1/login", json={"email": email, "password": STRONG_PASSWORD}, headers=ASK_COOKIE
    )
    assert response.status_code == 200, response.text
    return email, response


def _attributes(response: httpx.Response) -> set[str]:
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=")
    return {part.strip().lower() for part in cookie.split(";")[1:]}


async def _active_sessions(api: RunningApp, email: str) -> int:
    user = await api.container.users.get_by_email(email)
    assert user is not None
    return len(await api.container.sessions.list_sessions(user.id))


@pytest.mark.threat("T-BRW-05")
async def test_sign_in_puts_the_refresh_token_in_a_strict_host_cookie_and_never_in_the_body(
    api: RunningApp,
) -> None:
    async with https_client(api) as browser:
        _, response = await _sign_in(api, browser)
    body = response.json()
    assert "refresh_token" not in body
    assert body["access_token"]
    assert response.headers["cache-control"] == "no-store"
    attributes = _attributes(response)
    assert {"httponly", "secure", "path=/", "samesite=strict"} <= attributes
    assert f"max-age={api.settings.session_idle_ttl}" in attributes
    assert not any(part.startswith("domain=") for part in attributes)


async def test_refresh_takes_the_cookie_and_rotates_it(api: RunningApp) -> None:
    async with https_client(api) as browser:
        await _sign_in(api, browser)
        first = browser.cookies[COOKIE]
        refreshed = await browser.post("/oauth/token", json={"grant_type": "refresh_token"}, headers=FROM_APP)
        assert refreshed.status_code == 200, refreshed.text
        assert "refresh_token" not in refreshed.json()
        second = browser.cookies[COOKIE]
        assert second != first
        me = await browser.get("/v1/me", headers=bearer(refreshed.json()["access_token"]))
        assert me.status_code == 200
        browser.cookies.set(COOKIE, first, domain="auth.example.test")
        replayed = await browser.post("/oauth/token", json={"grant_type": "refresh_token"}, headers=FROM_APP)
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"


@pytest.mark.threat("T-BRW-01")
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "X-Tokenward-CSRF": "1"},
        {"Origin": APP_ORIGIN},
        {"Sec-Fetch-Site": "cross-site", "X-Tokenward-CSRF": "1"},
        {},
    ],
)
async def test_cookie_refresh_without_csrf_proof_is_refused_and_changes_nothing(
    api: RunningApp, headers: dict[str, str]
) -> None:
    """Attack: another site makes the victim's browser send the refresh cookie to rotate (and so steal or
    break) the session."""
    async with https_client(api) as browser:
        email, _ = await _sign_in(api, browser)
        before = browser.cookies[COOKIE]
        refused = await browser.post("/oauth/token", data={"grant_type": "refresh_token"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"] == "csrf_failed"
        assert "set-cookie" not in refused.headers
        assert browser.cookies[COOKIE] == before
        still = await browser.post("/oauth/token", json={"grant_type": "refresh_token"}, headers=FROM_APP)
    assert still.status_code == 200
    assert await _active_sessions(api, email) == 2  # the bearer one new_user made, and this one


@pytest.mark.threat("T-BRW-01")
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "X-Tokenward-CSRF": "1", "X-Tokenward-Transport": "cookie"},
        {"Origin": APP_ORIGIN, "X-Tokenward-Transport": "cookie"},
    ],
)
async def test_cookie_sign_in_without_csrf_proof_is_refused(api: RunningApp, headers: dict[str, str]) -> None:
    """Attack: login CSRF, signing the victim's browser into the attacker's account."""
    email, _ = await api.new_user()
    async with https_client(api) as browser:
        await browser.post("/v1/logout")  # nothing
        refused = await browser.post(
            "/v1/login", json={"email": email, "password": STRONG_PASSWORD}, headers=headers
        )
        assert COOKIE not in browser.cookies
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert await _active_sessions(api, email) == 1  # only the one new_user made


async def test_unknown_transport_is_refused(api: RunningApp) -> None:
    email, _ = await api.new_user()
    response = await api.client.post(
        "/v1/login",
        json={"email": email, "password": STRONG_PASSWORD},
        headers={"X-Tokenward-Transport": "carrier-pigeon"},
    )
    assert response.status_code == 400
    assert "bearer, cookie" in response.json()["detail"]


async def test_sign_out_ends_the_session_and_clears_the_cookie(api: RunningApp) -> None:
    async with https_client(api) as browser:
        email, signed_in = await _sign_in(api, browser)
        out = await browser.post(
            "/v1/logout", headers={**FROM_APP, **bearer(signed_in.json()["access_token"])}
        )
        assert out.status_code == 200
        assert "max-age=0" in _attributes(out)
        assert COOKIE not in browser.cookies
    assert await _active_sessions(api, email) == 1  # only the bearer one new_user made


async def test_second_factor_step_can_ask_for_the_cookie(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    authenticator, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(60)
    async with https_client(api) as browser:
        first = await browser.post(
            "/v1/login", json={"email": email, "password": STRONG_PASSWORD}, headers=FROM_APP
        )
        mfa_token = first.json()["mfa_token"]
        second = await browser.post(
            "/v1/login/mfa", json={"mfa_token": mfa_token, "code": authenticator.code()}, headers=ASK_COOKIE
        )
        assert second.status_code == 200, second.text
        assert "refresh_token" not in second.json()
        assert COOKIE in browser.cookies


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://evil.example"}, {"Origin": APP_ORIGIN}])
async def test_bearer_sign_out_needs_no_csrf_proof_even_with_the_cookie(
    api: RunningApp, headers: dict[str, str]
) -> None:
    """The access token authenticates sign-out, and no other site can make a browser send it: with the refresh
    cookie present the sign-out still works without ``X-Tokenward-CSRF``, and clears the cookie of its session."""
    async with https_client(api) as browser:
        email, signed_in = await _sign_in(api, browser)
        out = await browser.post(
            "/v1/logout", headers={**headers, **bearer(signed_in.json()["access_token"])}
        )
        assert out.status_code == 200, out.text
        assert out.json()["sessions_ended"] == 1
        assert "max-age=0" in _attributes(out)
        assert COOKIE not in browser.cookies
    assert await _active_sessions(api, email) == 1  # only the bearer one new_user made


@pytest.mark.threat("T-BRW-01")
async def test_sign_out_by_the_cookie_alone_is_refused_and_changes_nothing(api: RunningApp) -> None:
    """Attack: another site posts to /v1/logout; the browser adds the refresh cookie but cannot add a token."""
    async with https_client(api) as browser:
        email, _ = await _sign_in(api, browser)
        before = browser.cookies[COOKIE]
        refused = await browser.post("/v1/logout", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 401
        assert refused.json()["code"] == "authentication_required"
        assert "set-cookie" not in refused.headers
        assert browser.cookies[COOKIE] == before
    assert await _active_sessions(api, email) == 2


async def test_sign_out_keeps_the_cookie_of_another_live_session(api: RunningApp) -> None:
    """A browser holds the cookie of one account while an access token of another signs out: the token's
    session ends, the cookie's session and the cookie stay."""
    other_email, other = await api.new_user()
    async with https_client(api) as browser:
        email, _ = await _sign_in(api, browser)
        kept = browser.cookies[COOKIE]
        out = await browser.post("/v1/logout", headers={**FROM_APP, **bearer(other["access_token"])})
        assert out.status_code == 200
        assert "set-cookie" not in out.headers
        assert browser.cookies[COOKIE] == kept
        still = await browser.post("/oauth/token", json={"grant_type": "refresh_token"}, headers=FROM_APP)
        assert still.status_code == 200
    assert await _active_sessions(api, other_email) == 0
    assert await _active_sessions(api, email) == 2


async def test_sign_out_everywhere_clears_the_cookie_of_another_session_of_the_user(api: RunningApp) -> None:
    async with https_client(api) as browser:
        email, _ = await _sign_in(api, browser)
        login = await api.login(email)
        out = await browser.post(
            "/v1/logout", json={"all": True}, headers={**FROM_APP, **bearer(login["access_token"])}
        )
        assert out.status_code == 200
        assert out.json()["sessions_ended"] == 3
        assert COOKIE not in browser.cookies
    assert await _active_sessions(api, email) == 0


async def test_sign_out_clears_a_cookie_that_is_no_longer_usable(api: RunningApp) -> None:
    async with https_client(api) as browser:
        _, signed_in = await _sign_in(api, browser)
        browser.cookies.set(COOKIE, "twr_not-a-token-this-server-issued", domain="auth.example.test")
        out = await browser.post("/v1/logout", headers=bearer(signed_in.json()["access_token"]))
        assert out.status_code == 200
        assert COOKIE not in browser.cookies

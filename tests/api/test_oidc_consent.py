"""The consent page over HTTP with the hosted pages' own session: a client that is not first-party is allowed
or refused by the user, remembered per scope, asked again with ``prompt=consent``, and removed on the account
page or through the API (which signs the client out)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.browser_support import browser_app, csrf_of, https_client, sign_in_page
from tests.harness import STRONG_PASSWORD, TEST_ISSUER, RunningApp, bearer
from tests.oidc_support import (
    REDIRECT,
    authorize_params,
    exchange,
    pkce_pair,
    query_of,
    query_of_url,
    refresh_as_client,
    register,
)
from tokenward.domain.clients import Client


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("consent")) as running:
        yield running


@asynccontextmanager
async def _signed_in_browser(api: RunningApp) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A new browser with a new user signed in on the hosted pages."""
    email = f"consent-{secrets.token_hex(4)}@example.com"
    assert (await api.sign_up(email)).status_code == 202
    async with https_client(api) as browser:
        assert (await sign_in_page(browser, email, STRONG_PASSWORD)).status_code == 303
        yield browser, email


async def _third_party(api: RunningApp) -> Client:
    return (await register(api, first_party=False)).client


async def _to_consent_page(browser: httpx.AsyncClient, client: Client, **extra: str) -> tuple[str, str]:
    """Authorize until the consent page; returns its ``return_to`` and its HTML."""
    _, challenge = pkce_pair()
    asked = await browser.get("/oauth/authorize", params=authorize_params(client.id, challenge, **extra))
    assert asked.status_code == 302, asked.text
    assert asked.headers["location"].startswith("/account/consent?")
    page = await browser.get(asked.headers["location"])
    assert page.status_code == 200, page.text
    return query_of(asked)["return_to"], page.text


async def _answer(browser: httpx.AsyncClient, page: str, return_to: str, decision: str) -> httpx.Response:
    return await browser.post(
        "/account/consent", data={"csrf_token": csrf_of(page), "return_to": return_to, "decision": decision}
    )


async def _consents(api: RunningApp, email: str) -> dict[str, frozenset[str]]:
    user = await api.container.users.get_by_email(email)
    assert user is not None
    return {c.client_id: c.scopes for c in await api.container.consents.list_for_user(user.id)}


async def test_allowing_issues_the_code_and_is_remembered(api: RunningApp) -> None:
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        return_to, page = await _to_consent_page(browser, client)
        assert "web app" in page
        assert "Your e-mail address, and whether it is verified" in page
        assert email in page

        allowed = await _answer(browser, page, return_to, "allow")
        assert allowed.status_code == 303
        assert allowed.headers["location"].startswith("/oauth/authorize?")
        issued = await browser.get(allowed.headers["location"])
        assert issued.headers["location"].startswith(REDIRECT + "?")
        assert {"code", "state", "iss"} <= query_of(issued).keys()

        # remembered: the next request for the same scopes goes straight back with a code
        _, challenge = pkce_pair()
        again = await browser.get("/oauth/authorize", params=authorize_params(client.id, challenge))
        assert again.headers["location"].startswith(REDIRECT + "?code=")
    assert await _consents(api, email) == {client.id: frozenset({"openid", "email", "profile"})}


async def test_refusing_sends_access_denied_back_and_remembers_nothing(api: RunningApp) -> None:
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        return_to, page = await _to_consent_page(browser, client)
        refused = await _answer(browser, page, return_to, "deny")

    assert refused.status_code == 303
    assert refused.headers["location"].startswith(REDIRECT + "?")
    assert query_of(refused) == {
        "error": "access_denied",
        "error_description": "The user did not allow the application",
        "state": "st-123",
        "iss": TEST_ISSUER,
    }
    assert await _consents(api, email) == {}


async def test_a_wider_scope_or_prompt_consent_asks_again(api: RunningApp) -> None:
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        return_to, page = await _to_consent_page(browser, client, scope="openid")
        await _answer(browser, page, return_to, "allow")
        assert await _consents(api, email) == {client.id: frozenset({"openid"})}

        wider_return, wider_page = await _to_consent_page(browser, client, scope="openid email")
        assert "Your e-mail address" in wider_page
        await _answer(browser, wider_page, wider_return, "allow")
        assert await _consents(api, email) == {client.id: frozenset({"openid", "email"})}

        # prompt=consent shows the page although everything asked for is allowed; answering drops it
        prompted_return, prompted_page = await _to_consent_page(
            browser, client, scope="openid", prompt="consent"
        )
        allowed = await _answer(browser, prompted_page, prompted_return, "allow")
        assert "prompt" not in query_of(allowed)
        assert (await browser.get(allowed.headers["location"])).headers["location"].startswith(REDIRECT)


async def test_prompt_consent_with_login_keeps_asking_for_consent_after_the_sign_in(api: RunningApp) -> None:
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, _):
        _, challenge = pkce_pair()
        forced = await browser.get(
            "/oauth/authorize", params=authorize_params(client.id, challenge, prompt="login consent")
        )
    return_to = query_of(forced)["return_to"]
    assert forced.headers["location"].startswith("/account/sign-in?")
    assert query_of_url(return_to)["prompt"] == "consent"


async def test_a_first_party_client_is_never_asked(api: RunningApp) -> None:
    client = (await register(api)).client
    async with _signed_in_browser(api) as (browser, _):
        _, challenge = pkce_pair()
        answer = await browser.get(
            "/oauth/authorize", params=authorize_params(client.id, challenge, prompt="consent")
        )
    assert answer.headers["location"].startswith(REDIRECT + "?code=")


@pytest.mark.threat("T-OIDC-12")
async def test_a_consent_posted_by_another_site_is_refused(api: RunningApp) -> None:
    """Attack: a page on another site posts "allow" for the signed-in user (cross-site request forgery); it
    cannot know the page session's CSRF token."""
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        return_to, _ = await _to_consent_page(browser, client)
        forged = await browser.post(
            "/account/consent",
            data={"csrf_token": "guessed", "return_to": return_to, "decision": "allow"},
            headers={"Origin": "https://evil.example"},
        )
        missing = await browser.post("/account/consent", data={"return_to": return_to, "decision": "allow"})

    assert forged.status_code == missing.status_code == 403
    assert "could not be accepted" in forged.text
    assert await _consents(api, email) == {}


@pytest.mark.threat("T-OIDC-12")
async def test_the_consent_page_cannot_be_framed(api: RunningApp) -> None:
    """Attack: another site frames the consent page under a decoy to make the user click "Allow"."""
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, _):
        _, challenge = pkce_pair()
        asked = await browser.get("/oauth/authorize", params=authorize_params(client.id, challenge))
        page = await browser.get(asked.headers["location"])
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self' https://app.example" in policy


@pytest.mark.threat("T-OIDC-13")
@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"redirect_uri": "https://evil.example/callback"}, "did not register"),
        ({"client_id": "twc-unknown"}, "not registered"),
        ({"scope": "openid admin"}, "not valid"),
    ],
)
async def test_a_forged_consent_request_shows_an_error_and_grants_nothing(
    api: RunningApp, change: dict[str, str], shown: str
) -> None:
    """Attack: a link straight to the consent page (or a posted answer) names an unregistered redirect URI, an
    unknown client or a scope the client may not have: the page shows the refusal, nothing is remembered."""
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        _, challenge = pkce_pair()
        forged = f"/oauth/authorize?{httpx.QueryParams(authorize_params(client.id, challenge) | change)}"
        shown_page = await browser.get("/account/consent", params={"return_to": forged})
        account = await browser.get("/account")
        posted = await browser.post(
            "/account/consent",
            data={"csrf_token": csrf_of(account.text), "return_to": forged, "decision": "allow"},
        )
        elsewhere = await browser.post(
            "/account/consent",
            data={
                "csrf_token": csrf_of(account.text),
                "return_to": "https://evil.example/",
                "decision": "allow",
            },
        )

    assert shown_page.status_code == posted.status_code == elsewhere.status_code == 400
    assert shown in shown_page.text
    assert "location" not in posted.headers
    assert await _consents(api, email) == {}


async def test_removing_access_on_the_account_page_signs_the_client_out(api: RunningApp) -> None:
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        tokens = await _allowed_tokens(api, browser, client)
        account = await browser.get("/account")
        assert "Applications with access" in account.text
        assert "web app" in account.text
        removed = await browser.post(
            "/account/apps/remove", data={"csrf_token": csrf_of(account.text), "client_id": client.id}
        )
        assert removed.status_code == 303
        after = await browser.get("/account")
        assert "The application&#39;s access is removed" in after.text
        assert "No other application can use your account." in after.text

        # the next sign-in at the client asks again
        _, challenge = pkce_pair()
        asked = await browser.get("/oauth/authorize", params=authorize_params(client.id, challenge))
        assert asked.headers["location"].startswith("/account/consent?")

    assert await _consents(api, email) == {}
    await _assert_signed_out(api, client, tokens)


async def test_the_api_lists_and_removes_consents(api: RunningApp) -> None:
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        tokens = await _allowed_tokens(api, browser, client)
    own = await api.login(email)

    listed = await api.client.get("/v1/me/consents", headers=bearer(own["access_token"]))
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    (entry,) = listed.json()["consents"]
    assert (entry["client_id"], entry["client_name"], entry["scopes"]) == (
        client.id,
        "web app",
        ["email", "openid", "profile"],
    )

    removed = await api.client.delete(f"/v1/me/consents/{client.id}", headers=bearer(own["access_token"]))
    again = await api.client.delete(f"/v1/me/consents/{client.id}", headers=bearer(own["access_token"]))
    assert removed.status_code == 204
    assert again.status_code == 404
    assert again.json()["code"] == "not_found"
    assert (await api.client.get("/v1/me/consents", headers=bearer(own["access_token"]))).json() == {
        "consents": []
    }
    await _assert_signed_out(api, client, tokens)


async def test_another_users_consent_cannot_be_removed(api: RunningApp) -> None:
    """Attack: a signed-in user names a client another user allowed: it is not theirs, so nothing changes."""
    client = await _third_party(api)
    async with _signed_in_browser(api) as (victim_browser, victim):
        await _allowed_tokens(api, victim_browser, client)
    _, attacker = await api.new_user()

    refused = await api.client.delete(
        f"/v1/me/consents/{client.id}", headers=bearer(attacker["access_token"])
    )

    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"
    assert client.id in await _consents(api, victim)


async def _allowed_tokens(api: RunningApp, browser: httpx.AsyncClient, client: Client) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    asked = await browser.get("/oauth/authorize", params=authorize_params(client.id, challenge))
    page = await browser.get(asked.headers["location"])
    allowed = await _answer(browser, page.text, query_of(asked)["return_to"], "allow")
    issued = await browser.get(allowed.headers["location"])
    exchanged = await exchange(api, client.id, query_of(issued)["code"], verifier)
    assert exchanged.status_code == 200, exchanged.text
    tokens: dict[str, str] = exchanged.json()
    return tokens


async def _assert_signed_out(api: RunningApp, client: Client, tokens: dict[str, str]) -> None:
    refreshed = await refresh_as_client(api, client.id, tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    userinfo = await api.client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401


async def test_an_applications_session_is_named_by_the_application(api: RunningApp) -> None:
    """Its user agent is the application's server ("Python (httpx)" here): the account page and the API say
    which application holds it instead."""
    client = await _third_party(api)
    async with _signed_in_browser(api) as (browser, email):
        tokens = await _allowed_tokens(api, browser, client)
        account = (await browser.get("/account")).text
    own = await api.login(email)
    listed = (await api.client.get("/v1/me/sessions", headers=bearer(own["access_token"]))).json()["sessions"]

    assert '<strong>web app</strong> <span class="tag">application</span>' in account
    assert "Sign out web app, signed in on" in account
    by_id = {s["id"]: s["client_id"] for s in listed}
    assert by_id[tokens["session_id"]] == client.id
    assert by_id[own["session_id"]] is None

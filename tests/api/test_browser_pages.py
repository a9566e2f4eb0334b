"""Hosted pages over HTTP: cookie attributes, CSP, CSRF refusals, return URLs, escaping, bad form input."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.browser_support import RETURN_URL, browser_app, csrf_of, https_client, post_form, sign_in_page
from tests.harness import STRONG_PASSWORD, RunningApp


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("pages")) as running:
        yield running


def _comparable(html: str) -> str:
    """The page without what differs on every answer (the CSP nonce) or per browser (the CSRF token)."""
    return re.sub(r'(nonce|value)="[A-Za-z0-9_-]{20,}"', "", html)


async def _user(api: RunningApp) -> str:
    email = f"page-{secrets.token_hex(4)}@example.com"
    assert (await api.sign_up(email)).status_code == 202
    return email


async def _sessions(api: RunningApp, email: str) -> int:
    user = await api.container.users.get_by_email(email)
    assert user is not None
    return len(await api.container.sessions.list_sessions(user.id))


@pytest.mark.threat("T-BRW-05")
async def test_page_session_cookie_is_host_only_httponly_secure_lax(api: RunningApp) -> None:
    async with https_client(api) as browser:
        response = await browser.get("/account/sign-in")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-tokenward-page=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path=/", "samesite=lax"} <= attributes
    assert not any(part.startswith("domain=") for part in attributes)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.threat("T-BRW-02", "T-BRW-03")
@pytest.mark.parametrize(
    "path",
    [
        "/account/sign-in",
        "/account/sign-up",
        "/account/forgot-password",
        "/account/reset-password",
        "/account/verify-email",
        "/account/not-me",
    ],
)
async def test_every_page_sends_a_strict_csp_and_refuses_framing(api: RunningApp, path: str) -> None:
    async with https_client(api) as browser:
        response = await browser.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script, nothing from elsewhere
    assert directives["frame-ancestors"] == "'none'"
    assert directives["style-src"].startswith("'self' 'nonce-")
    assert "unsafe-inline" not in csp
    assert "*" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert '<html lang="en">' in response.text


@pytest.mark.threat("T-BRW-01")
@pytest.mark.parametrize("token", [None, "", "forged-token-of-the-attacker"])
async def test_form_without_this_sessions_csrf_token_is_refused_and_changes_nothing(
    api: RunningApp, token: str | None
) -> None:
    """Attack: another site posts the sign-in form (login CSRF) with a missing or guessed token."""
    email = await _user(api)
    async with https_client(api) as browser:
        await browser.get("/account/sign-in")  # the victim has a page session
        fields = {"email": email, "password": STRONG_PASSWORD}
        if token is not None:
            fields["csrf_token"] = token
        response = await browser.post("/account/sign-in", data=fields)
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "reload the page and try again" in response.text
    assert await _sessions(api, email) == 0


@pytest.mark.threat("T-BRW-01")
async def test_csrf_token_of_another_browser_is_refused(api: RunningApp) -> None:
    """Attack: the attacker's own valid token, sent with the victim's cookie."""
    email = await _user(api)
    async with https_client(api) as attacker, https_client(api) as victim:
        attackers_token = csrf_of((await attacker.get("/account/sign-in")).text)
        await victim.get("/account/sign-in")
        response = await victim.post(
            "/account/sign-in",
            data={"csrf_token": attackers_token, "email": email, "password": STRONG_PASSWORD},
        )
    assert response.status_code == 403
    assert await _sessions(api, email) == 0


@pytest.mark.threat("T-BRW-01")
async def test_signed_in_action_without_token_is_refused(api: RunningApp) -> None:
    """Attack: a cross-site form that signs the victim out everywhere."""
    email = await _user(api)
    async with https_client(api) as browser:
        assert (await sign_in_page(browser, email, STRONG_PASSWORD)).status_code == 303
        refused = await browser.post("/account/sign-out-everywhere", data={})
        assert refused.status_code == 403
        assert await _sessions(api, email) == 1
        assert (await browser.get("/account")).status_code == 200


async def test_tampered_page_cookie_is_ignored(api: RunningApp) -> None:
    async with https_client(api) as browser:
        await browser.get("/account/sign-in")
        value = browser.cookies["__Host-tokenward-page"]
        browser.cookies.set("__Host-tokenward-page", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
        response = await browser.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in"


@pytest.mark.threat("T-BRW-04")
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        RETURN_URL + ".evil.example",
        RETURN_URL + "/../../x",
        RETURN_URL.upper(),
        "javascript:alert(1)",
    ],
)
async def test_unlisted_return_url_is_refused(api: RunningApp, target: str) -> None:
    """Attack: an open redirect through the sign-in page's return address."""
    email = await _user(api)
    async with https_client(api) as browser:
        shown = await browser.get("/account/sign-in", params={"return_to": target})
        assert shown.status_code == 400
        assert "not on this service&#39;s list of allowed addresses" in shown.text
        token = csrf_of((await browser.get("/account/sign-in")).text)
        posted = await browser.post(
            "/account/sign-in",
            data={"csrf_token": token, "email": email, "password": STRONG_PASSWORD, "return_to": target},
        )
    assert posted.status_code == 400
    assert "location" not in posted.headers
    assert await _sessions(api, email) == 0


@pytest.mark.threat("T-BRW-04")
async def test_listed_return_url_is_where_sign_in_goes(api: RunningApp) -> None:
    email = await _user(api)
    async with https_client(api) as browser:
        shown = await browser.get("/account/sign-in", params={"return_to": RETURN_URL})
        posted = await browser.post(
            "/account/sign-in",
            data={
                "csrf_token": csrf_of(shown.text),
                "email": email,
                "password": STRONG_PASSWORD,
                "return_to": RETURN_URL,
            },
        )
    assert posted.status_code == 303
    assert posted.headers["location"] == RETURN_URL
    assert "https://app.example.test" in shown.headers["content-security-policy"].split("form-action")[1]


@pytest.mark.threat("T-BRW-02")
async def test_submitted_text_is_escaped_everywhere_it_is_shown(api: RunningApp) -> None:
    """Attack: markup in the e-mail field and in the display name, shown back to the user."""
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    async with https_client(api) as browser:
        echoed = await post_form(
            browser, "/account/sign-in", "/account/sign-in", email=payload, password="wrong password"
        )
        assert echoed.status_code == 401
        assert "<script>alert(1)" not in echoed.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in echoed.text
        email = await _user(api)
        await sign_in_page(browser, email, STRONG_PASSWORD)
        saved = await post_form(browser, "/account/profile", "/account", display_name=payload)
        assert saved.status_code == 303
        account = await browser.get("/account")
    assert "<img src=x" not in account.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in account.text


async def test_wrong_password_and_unknown_address_get_the_same_page(api: RunningApp) -> None:
    email = await _user(api)
    async with https_client(api) as browser:
        wrong = await sign_in_page(browser, email, "not the password at all")
        unknown = await sign_in_page(browser, "nobody-" + email, "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Invalid e-mail or password" in wrong.text
    assert _comparable(wrong.text).replace(email, "X") == _comparable(unknown.text).replace(
        "nobody-" + email, "X"
    )


async def test_forgot_password_answers_the_same_for_every_address(api: RunningApp) -> None:
    email = await _user(api)
    async with https_client(api) as browser:
        known = await post_form(browser, "/account/forgot-password", "/account/forgot-password", email=email)
        unknown = await post_form(
            browser, "/account/forgot-password", "/account/forgot-password", email="nobody@example.com"
        )
    assert known.status_code == unknown.status_code == 200
    assert "If an account uses this address" in known.text
    assert _comparable(known.text) == _comparable(unknown.text)


async def test_missing_fields_are_named_next_to_the_field(api: RunningApp) -> None:
    async with https_client(api) as browser:
        response = await post_form(browser, "/account/sign-up", "/account/sign-up", email="", password="")
    assert response.status_code == 400
    assert 'aria-describedby="email-error"' in response.text
    assert 'id="email-error">Enter your e-mail address<' in response.text
    assert 'aria-invalid="true"' in response.text


async def test_rejected_password_uses_the_apis_wording(api: RunningApp) -> None:
    async with https_client(api) as browser:
        response = await post_form(
            browser, "/account/sign-up", "/account/sign-up", email="short@example.com", password="abc"
        )
    assert response.status_code == 422
    assert "Password rejected: must be at least 8 characters long" in response.text


def _assert_too_large_page(response: httpx.Response, limit: int) -> None:
    """The 413 as a page that looks like the CSRF refusal: the message template, the pages' CSP, no JSON."""
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert "<h1>Too much data</h1>" in response.text
    assert (
        f'<p role="alert">The request body exceeds {limit} bytes. Go back, shorten what you entered and try '
        "again.</p>"
    ) in response.text


async def test_oversized_form_gets_a_413_page_and_signs_nobody_in(api: RunningApp) -> None:
    """Content-Length over the limit: refused before any route runs, with a page rather than a problem."""
    email = await _user(api)
    limit = api.settings.max_body_bytes
    async with https_client(api) as browser:
        token = csrf_of((await browser.get("/account/sign-in")).text)
        fields = {"csrf_token": token, "email": email, "password": STRONG_PASSWORD, "pad": "x" * limit}
        response = await browser.post("/account/sign-in", data=fields)
    _assert_too_large_page(response, limit)
    assert response.headers["connection"] == "close"  # the rest of the body is not read
    assert await _sessions(api, email) == 0


async def test_streamed_oversized_form_gets_the_same_413_page(api: RunningApp) -> None:
    """No Content-Length (chunked): the limit trips while the form is read, inside the route."""
    limit = api.settings.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield b"csrf_token=x&email=a%40example.com&password="
        for _ in range(limit // 1024 + 1):
            yield b"x" * 1024

    async with https_client(api) as browser:
        await browser.get("/account/sign-in")
        response = await browser.post(
            "/account/sign-in",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert "content-length" not in response.request.headers
    _assert_too_large_page(response, limit)


async def test_oversized_header_block_on_a_page_gets_a_431_page(api: RunningApp) -> None:
    async with https_client(api) as browser:
        response = await browser.get(
            "/account/sign-in", headers={"x-pad": "x" * api.settings.max_header_bytes}
        )
    assert response.status_code == 431
    assert response.headers["content-type"].startswith("text/html")
    assert "Clear this site&#39;s cookies in your browser and try again." in response.text


@pytest.mark.parametrize("path", ["/v1/signup", "/oauth/token"])
async def test_oversized_api_body_stays_a_json_refusal(api: RunningApp, path: str) -> None:
    async with https_client(api) as client:
        response = await client.post(path, content=b"x" * (api.settings.max_body_bytes + 1))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/")
    assert response.headers["content-type"].endswith("json")
    assert "<html" not in response.text


async def test_sign_in_account_page_and_sign_out(api: RunningApp) -> None:
    email = await _user(api)
    async with https_client(api) as browser:
        signed_in = await sign_in_page(browser, email, STRONG_PASSWORD)
        assert signed_in.headers["location"] == "/account"
        account = await browser.get("/account")
        assert account.status_code == 200
        assert email in account.text
        assert "this device" in account.text
        out = await post_form(browser, "/account/sign-out", "/account")
        assert out.headers["location"] == "/account/sign-in"
        assert (await browser.get("/account")).status_code == 303
    assert await _sessions(api, email) == 0


async def test_signing_in_again_ends_the_session_the_browser_had(api: RunningApp) -> None:
    """A sign-in on a browser that was already signed in (``prompt=login``, or another account) replaces the
    cookie's tokens; the session they belonged to could never be used again, so it ends instead of staying
    listed as signed in."""
    first, second = await _user(api), await _user(api)
    async with https_client(api) as browser:
        await sign_in_page(browser, first, STRONG_PASSWORD)
        forced = await browser.get("/account/sign-in", params={"prompt": "login"})
        await browser.post(
            "/account/sign-in",
            data={"csrf_token": csrf_of(forced.text), "email": first, "password": STRONG_PASSWORD},
        )
        assert await _sessions(api, first) == 1
        other = await browser.get("/account/sign-in", params={"prompt": "login"})
        await browser.post(
            "/account/sign-in",
            data={"csrf_token": csrf_of(other.text), "email": second, "password": STRONG_PASSWORD},
        )
        assert second in (await browser.get("/account")).text
    assert (await _sessions(api, first), await _sessions(api, second)) == (0, 1)


async def test_unknown_page_is_an_html_404(api: RunningApp) -> None:
    async with https_client(api) as browser:
        response = await browser.get("/account/no-such-page")
    assert response.status_code == 404
    assert "There is no page at this address." in response.text

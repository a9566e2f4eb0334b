"""The account page's new verification link and new recovery codes, over HTTP: the API's rules, on a page."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.browser_support import browser_app, csrf_of, https_client, post_form, sign_in_page
from tests.harness import STRONG_PASSWORD, RunningApp, bearer
from tests.limits_time import run_limits_on
from tests.mfa_support import Authenticator, enrol_totp, latest_link_token, outbox_messages
from tokenward.domain.clock import FrozenClock
from tokenward.errors import InvalidMfaCode

RECOVERY_CODE = re.compile(r"<li><code>([^<]+)</code></li>")
#: the API's answer to a factor change without any proof while a factor is set up
MISSING_FACTOR = "A current second factor (TOTP or recovery code, passkey, or a code sent to you) is required"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("renewals")) as running:
        yield running


async def _signed_in(api: RunningApp, browser: httpx.AsyncClient) -> str:
    email = f"renew-{secrets.token_hex(4)}@example.com"
    assert (await api.sign_up(email)).status_code == 202
    assert (await sign_in_page(browser, email, STRONG_PASSWORD)).status_code == 303
    return email


async def _with_totp(api: RunningApp, browser: httpx.AsyncClient) -> tuple[str, Authenticator, list[str]]:
    """A user with TOTP on (enrolled by the API), signed in on the page with both factors."""
    email, tokens = await api.new_user()
    authenticator, codes = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)  # a fresh time step: the enrolment's code is spent
    assert (await sign_in_page(browser, email, STRONG_PASSWORD)).headers["location"] == "/account/sign-in/mfa"
    second = await post_form(
        browser, "/account/sign-in/mfa", "/account/sign-in/mfa", code=authenticator.code()
    )
    assert second.headers["location"] == "/account"
    api.clock.advance(30)
    return email, authenticator, codes


async def _mfa_sign_in(api: RunningApp, email: str, code: str) -> httpx.Response:
    first = await api.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
    return await api.client.post("/v1/login/mfa", json={"mfa_token": first.json()["mfa_token"], "code": code})


async def test_an_unverified_address_gets_a_new_link_from_the_account_page(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.31") as browser:
        email = await _signed_in(api, browser)
        page = await browser.get("/account")
        assert 'action="/account/email/resend"' in page.text
        sent = await post_form(browser, "/account/email/resend", "/account")
        assert sent.status_code == 303
        assert sent.headers["location"] == "/account"
        shown = await browser.get("/account")
    assert f"A new link is on its way to {email}. Links sent before no longer work." in shown.text
    assert len(outbox_messages(api, "email_verification", email)) == 2  # the sign-up's and this one


async def test_a_verified_address_has_no_resend_form_and_gets_no_mail(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.32") as browser:
        email = await _signed_in(api, browser)
        token = latest_link_token(api, "email_verification", email)
        assert (await api.client.post("/v1/email/verify", json={"token": token})).status_code == 200
        page = await browser.get("/account")
        assert 'action="/account/email/resend"' not in page.text
        token = csrf_of(page.text)
        answer = await browser.post("/account/email/resend", data={"csrf_token": token})
        assert answer.status_code == 303
        assert "already verified" in (await browser.get("/account")).text
    assert len(outbox_messages(api, "email_verification", email)) == 1


async def test_the_page_and_the_api_share_the_resend_limit(tmp_path: Path) -> None:
    """The page is no way around the API's limit: one bucket for both, per client address."""
    quota = 3
    clock = FrozenClock()
    with pytest.MonkeyPatch.context() as patch:
        run_limits_on(clock, patch)
        settings = {"rate_limits_enabled": True, "rate_limit_password_reset": f"{quota}/minute"}
        async with browser_app(tmp_path, clock=clock, **settings) as api, https_client(api) as browser:
            email = await _signed_in(api, browser)
            token = csrf_of((await browser.get("/account")).text)
            access_token = (await api.login(email))["access_token"]
            for _ in range(quota):
                resent = await browser.post("/v1/email/resend", headers=bearer(access_token))
                assert resent.status_code == 202
            refused = await browser.post("/account/email/resend", data={"csrf_token": token})
            sent = len(outbox_messages(api, "email_verification", email))
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert "Retry-After" in refused.headers
    assert sent == 1 + quota


async def test_new_recovery_codes_are_shown_once_and_replace_the_old(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.34") as browser:
        email, authenticator, old_codes = await _with_totp(api, browser)
        page = await browser.get("/account")
        assert 'action="/account/mfa/recovery-codes"' in page.text
        renewed = await post_form(
            browser, "/account/mfa/recovery-codes", "/account", step_up_code=authenticator.code()
        )
        assert renewed.status_code == 200
        assert renewed.headers["cache-control"] == "no-store"
        assert "New recovery codes: the old ones no longer work." in renewed.text
        new_codes = RECOVERY_CODE.findall(renewed.text)
        assert len(new_codes) == len(old_codes) == 10
        assert not set(new_codes) & set(old_codes)
        again = await browser.get("/account")
        assert not any(code in again.text for code in new_codes)
    assert (await _mfa_sign_in(api, email, old_codes[0])).json()["code"] == "invalid_mfa_code"
    assert (await _mfa_sign_in(api, email, new_codes[0])).status_code == 200


@pytest.mark.parametrize(("code", "wording"), [("", MISSING_FACTOR), ("000000", InvalidMfaCode().detail)])
async def test_new_recovery_codes_need_a_current_code(api: RunningApp, code: str, wording: str) -> None:
    """The API's answer to no code and to a wrong one (``invalid_mfa_code``), next to the code field."""
    async with https_client(api, "198.51.100.35") as browser:
        email, _, old_codes = await _with_totp(api, browser)
        refused = await post_form(browser, "/account/mfa/recovery-codes", "/account", step_up_code=code)
    assert refused.status_code == 401
    assert f'<p class="error" id="recovery-codes-code-error">{wording}</p>' in refused.text
    assert not RECOVERY_CODE.findall(refused.text)
    assert (await _mfa_sign_in(api, email, old_codes[0])).status_code == 200  # the old codes still work


async def test_new_recovery_codes_need_a_recent_sign_in(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.36") as browser:
        email, authenticator, old_codes = await _with_totp(api, browser)
        api.clock.advance(api.settings.reauthentication_window + 1)
        refused = await post_form(
            browser, "/account/mfa/recovery-codes", "/account", step_up_code=authenticator.code()
        )
    assert refused.status_code == 403
    assert "Sign in again" in refused.text
    assert not RECOVERY_CODE.findall(refused.text)
    assert (await _mfa_sign_in(api, email, old_codes[0])).status_code == 200


@pytest.mark.threat("T-BRW-01")
async def test_new_recovery_codes_without_the_forms_token_are_refused(api: RunningApp) -> None:
    """Attack: another site posts the form, to void the user's codes (and so their way back in)."""
    async with https_client(api, "198.51.100.37") as browser:
        email, authenticator, old_codes = await _with_totp(api, browser)
        refused = await browser.post(
            "/account/mfa/recovery-codes", data={"step_up_code": authenticator.code()}
        )
    assert refused.status_code == 403
    assert "reload the page and try again" in refused.text
    assert (await _mfa_sign_in(api, email, old_codes[0])).status_code == 200

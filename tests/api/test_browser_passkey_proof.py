"""Adding a passkey on the account page with whichever current factor the user has, over HTTP: a code by
e-mail sent by a plain form, a code from the app, and each refusal with its status. The WebAuthn part is what
the page's script does, done by hand with the software authenticator."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.browser_support import (
    browser_app,
    csrf_of,
    https_client,
    post_form,
    sign_in_page,
    sign_in_with_mailed_code,
)
from tests.harness import STRONG_PASSWORD, TEST_ISSUER, RunningApp, bearer
from tests.mfa_support import enrol_email_code, enrol_totp, latest_mailed_code, outbox_messages
from tests.webauthn_support import SoftAuthenticator
from tokenward.errors import InvalidMfaCode, MfaCodeExpired

SEND = "/account/step-up/code"
OPTIONS = "/account/passkeys/options"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("passkey-proof")) as running:
        yield running


async def _e_mail_code_user(api: RunningApp) -> tuple[str, str]:
    """A user whose only second factor is a code by e-mail; returns the address and an API access token."""
    email, tokens = await api.new_user(f"add-{secrets.token_hex(4)}@example.com")
    await enrol_email_code(api, tokens["access_token"], email)
    return email, tokens["access_token"]


async def _passkeys(api: RunningApp, access_token: str) -> list[dict[str, Any]]:
    listed = await api.client.get("/v1/me/passkeys", headers=bearer(access_token))
    passkeys: list[dict[str, Any]] = listed.json()["passkeys"]
    return passkeys


async def _options(browser: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = csrf_of((await browser.get("/account")).text)
    return await browser.post(OPTIONS, data={"csrf_token": token, "passkey_name": "Phone", **fields})


async def _register(browser: httpx.AsyncClient, options: dict[str, Any]) -> httpx.Response:
    credential = SoftAuthenticator(TEST_ISSUER).create(options)
    token = csrf_of((await browser.get("/account")).text)
    return await browser.post(
        "/account/passkeys",
        data={"csrf_token": token, "credential": json.dumps(credential), "name": "Phone"},
    )


async def test_an_e_mail_code_user_adds_a_passkey_with_a_mailed_code(api: RunningApp) -> None:
    email, access = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.71") as browser:
        await sign_in_with_mailed_code(api, browser, email, STRONG_PASSWORD)
        page = await browser.get("/account")
        assert 'name="step_up_code"' not in page.text  # nothing to type before a code was sent
        assert "Send me a code by e-mail" in page.text

        sent = await post_form(browser, SEND, "/account", method="email", section="passkeys")
        assert sent.status_code == 303
        assert sent.headers["location"] == "/account#passkeys-heading"
        asking = await browser.get("/account")
        assert f"A code is on its way to {email}. Enter it under Passkeys;" in asking.text
        assert 'label for="passkey-add-code">Code from the e-mail<' in asking.text
        assert '<input type="hidden" name="step_up_method" value="email">' in asking.text

        options = await _options(browser, step_up_method="email", step_up_code=latest_mailed_code(api, email))
        assert options.status_code == 200, options.text
        added = await _register(browser, options.json()["publicKey"])
        assert added.status_code == 200, added.text
        assert added.json() == {"redirect": "/account"}
        after = await browser.get("/account")
        assert "Passkey “Phone” added." in after.text
        # the code is spent: a further change proves a current factor afresh (the new passkey, or a new code)
        assert 'name="step_up_code"' not in after.text
        assert 'data-step-up="/account/step-up/passkey"' in after.text
    assert [p["name"] for p in await _passkeys(api, access)] == ["Phone"]


@pytest.mark.threat("T-MFA-05")
async def test_adding_a_passkey_with_a_missing_wrong_or_spent_code_is_refused(api: RunningApp) -> None:
    """Attack: a stolen page session adds the thief's passkey with no code, a guessed code, or a code that was
    already used; each is refused with the exact error and no passkey is added."""
    email, access = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.72") as browser:
        await sign_in_with_mailed_code(api, browser, email, STRONG_PASSWORD)
        missing = await _options(browser)
        assert (missing.status_code, missing.json()["code"]) == (401, "invalid_mfa_code")

        await post_form(browser, SEND, "/account", method="email", section="passkeys")
        right = latest_mailed_code(api, email)
        guessed = await _options(
            browser, step_up_method="email", step_up_code=f"{(int(right) + 1) % 1_000_000:06d}"
        )
        assert guessed.status_code == 401
        assert guessed.json() == {"code": "invalid_mfa_code", "detail": InvalidMfaCode().detail}
        as_app_code = await _options(browser, step_up_code=right)  # no method: a TOTP code, and there is none
        assert (as_app_code.status_code, as_app_code.json()["code"]) == (401, "invalid_mfa_code")

        assert (await _options(browser, step_up_method="email", step_up_code=right)).status_code == 200
        spent = await _options(browser, step_up_method="email", step_up_code=right)
        assert spent.status_code == 401
        assert spent.json() == {"code": "mfa_code_expired", "detail": MfaCodeExpired().detail}
    assert await _passkeys(api, access) == []


async def test_a_totp_user_still_adds_a_passkey_with_an_app_code(api: RunningApp) -> None:
    email, tokens = await api.new_user(f"app-{secrets.token_hex(4)}@example.com")
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    async with https_client(api, "198.51.100.73") as browser:
        assert (await sign_in_page(browser, email, STRONG_PASSWORD)).status_code == 303
        signed_in = await post_form(browser, "/account/sign-in/mfa", "/account/sign-in/mfa", code=app.code())
        assert signed_in.headers["location"] == "/account"
        page = await browser.get("/account")
        assert 'label for="passkey-add-code">Code from the app, or a recovery code<' in page.text
        assert "Send me a code" not in page.text  # no code factor to send one by
        api.clock.advance(30)
        options = await _options(browser, step_up_code=app.code())
        assert options.status_code == 200, options.text
        assert (await _register(browser, options.json()["publicKey"])).status_code == 200
    assert len(await _passkeys(api, tokens["access_token"])) == 1


async def test_a_code_by_a_channel_the_account_lacks_is_not_sent(api: RunningApp) -> None:
    email, _ = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.74") as browser:
        await sign_in_with_mailed_code(api, browser, email, STRONG_PASSWORD)
        before = len(outbox_messages(api, "mfa_code", email))
        refused = await post_form(browser, SEND, "/account", method="sms", section="passkeys")
        assert refused.headers["location"] == "/account#passkeys-heading"
        page = await browser.get("/account")
        assert "Codes by sms are turned off on this server" in page.text
        assert 'name="step_up_code"' not in page.text
    assert len(outbox_messages(api, "mfa_code", email)) == before


@pytest.mark.threat("T-BRW-01")
async def test_sending_a_step_up_code_without_the_forms_token_is_refused(api: RunningApp) -> None:
    """Attack: another site makes the signed-in victim's browser request codes again and again."""
    email, _ = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.75") as browser:
        await sign_in_with_mailed_code(api, browser, email, STRONG_PASSWORD)
        before = len(outbox_messages(api, "mfa_code", email))
        refused = await browser.post(SEND, data={"method": "email"})
    assert refused.status_code == 403
    assert len(outbox_messages(api, "mfa_code", email)) == before

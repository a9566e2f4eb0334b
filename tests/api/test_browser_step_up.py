"""The account page's one step-up over HTTP: every form that changes the second factors takes whichever current
factor the user has. A passkey-only and an e-mail-code-only user set up an authenticator app; a code by e-mail
turns the app off and removes a passkey without any script; each refusal changes nothing and shows the API's
wording next to the field. The WebAuthn part is what the page's script does, done by hand with the software
authenticator."""

from __future__ import annotations

import html
import json
import re
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
from tests.mfa_support import (
    Authenticator,
    enrol_email_code,
    enrol_totp,
    latest_mailed_code,
    passkey_step_up,
    register_passkey,
)
from tests.webauthn_support import SoftAuthenticator
from tokenward.errors import InvalidMfaCode, MfaCodeExpired

START = "/account/mfa/start"
SEND = "/account/step-up/code"
PASSKEY_STEP_UP = "/account/step-up/passkey"
#: the API's answer to a change of the factors without any proof while a factor is set up
MISSING_FACTOR = "A current second factor (TOTP or recovery code, passkey, or a code sent to you) is required"
SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("step-up")) as running:
        yield running


async def _factors(api: RunningApp, access_token: str) -> dict[str, Any]:
    listed = await api.client.get("/v1/me/mfa", headers=bearer(access_token))
    assert listed.status_code == 200, listed.text
    factors: dict[str, Any] = listed.json()
    return factors


async def _no_enrolment_waiting(api: RunningApp, access_token: str) -> bool:
    """No TOTP enrolment was started: confirming one is a state conflict, not a wrong code."""
    confirm = await api.client.post(
        "/v1/me/mfa/totp/confirm", json={"code": "000000"}, headers=bearer(access_token)
    )
    return bool(confirm.status_code == 409)


async def _e_mail_code_user(api: RunningApp, browser: httpx.AsyncClient) -> tuple[str, str]:
    """A user whose only second factor is a code by e-mail, signed in on the page; the address and an API
    access token."""
    email, tokens = await api.new_user(f"mail-{secrets.token_hex(4)}@example.com")
    await enrol_email_code(api, tokens["access_token"], email)
    await sign_in_with_mailed_code(api, browser, email, STRONG_PASSWORD)
    return email, tokens["access_token"]


async def _passkey_user(api: RunningApp, browser: httpx.AsyncClient) -> tuple[SoftAuthenticator, str]:
    """A user whose only second factor is a passkey, signed in on the page with it alone."""
    _, tokens = await api.new_user(f"key-{secrets.token_hex(4)}@example.com")
    authenticator = SoftAuthenticator(TEST_ISSUER)
    await register_passkey(api, tokens["access_token"], authenticator)
    token = csrf_of((await browser.get("/account/sign-in")).text)
    options = await browser.post("/account/sign-in/passkey/options", data={"csrf_token": token})
    credential = authenticator.get(options.json()["publicKey"])
    signed_in = await browser.post(
        "/account/sign-in/passkey", data={"csrf_token": token, "credential": json.dumps(credential)}
    )
    assert signed_in.json() == {"redirect": "/account"}, signed_in.text
    return authenticator, tokens["access_token"]


async def _send_code(browser: httpx.AsyncClient, section: str) -> httpx.Response:
    sent = await post_form(browser, SEND, "/account", method="email", section=section)
    assert sent.status_code == 303, sent.text
    return sent


def _error_of(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error"[^>]*>([^<]*)</p>', page)
    assert match, f"no error shown for {field_id}"
    return html.unescape(match.group(1))


async def _confirm_app(api: RunningApp, browser: httpx.AsyncClient) -> None:
    """Finish the enrolment the page shows: the app's first code turns it on."""
    page = await browser.get("/account")
    match = SECRET.search(page.text)
    assert match, "no enrolment on the page"
    confirmed = await post_form(
        browser, "/account/mfa/confirm", "/account", code=Authenticator(api, match.group(1)).code()
    )
    assert confirmed.status_code == 200, confirmed.text
    assert "Two-step sign-in is on." in confirmed.text


async def test_a_passkey_only_user_sets_up_an_app_after_confirming_a_passkey(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.81") as browser:
        authenticator, access = await _passkey_user(api, browser)
        page = await browser.get("/account")
        assert f'action="{START}" data-step-up="{PASSKEY_STEP_UP}"' in page.text
        assert (
            "Setting up an app needs a current sign-in method: your browser asks for one of your" in page.text
        )

        token = csrf_of(page.text)
        options = await browser.post(PASSKEY_STEP_UP, data={"csrf_token": token})
        assert options.status_code == 200, options.text
        assertion = authenticator.get(options.json()["publicKey"])
        started = await browser.post(START, data={"csrf_token": token, "webauthn": json.dumps(assertion)})
        assert started.status_code == 303, started.text
        assert started.headers["location"] == "/account"
        await _confirm_app(api, browser)
    assert (await _factors(api, access))["methods"] == ["webauthn", "totp", "recovery_code"]


async def test_an_e_mail_code_user_sets_up_an_app_with_a_mailed_code(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.82") as browser:
        email, access = await _e_mail_code_user(api, browser)
        page = await browser.get("/account")
        assert 'name="step_up_code"' not in page.text  # nothing to type before a code was sent
        assert "Setting up an app needs a current sign-in method: first get a code from us." in page.text

        sent = await _send_code(browser, "mfa")
        assert sent.headers["location"] == "/account#mfa-heading"
        asking = await browser.get("/account")
        assert f"A code is on its way to {email}. Enter it under Two-step sign-in;" in asking.text
        assert 'label for="mfa-start-code">Code from the e-mail<' in asking.text

        started = await post_form(
            browser, START, "/account", step_up_method="email", step_up_code=latest_mailed_code(api, email)
        )
        assert started.status_code == 303, started.text
        enrolling = await browser.get("/account")
        assert SECRET.search(enrolling.text)
        assert 'name="step_up_code"' not in enrolling.text  # the code is spent: no form asks for it again
        await _confirm_app(api, browser)
    assert (await _factors(api, access))["methods"] == ["totp", "recovery_code", "email"]


@pytest.mark.threat("T-MFA-05")
async def test_setting_up_an_app_with_a_missing_guessed_or_spent_code_is_refused(api: RunningApp) -> None:
    """Attack: a stolen page session sets up the thief's authenticator app with no code, a guessed code, a code
    that was already used, or a made-up method; each gets the API's refusal next to the field, and no
    enrolment starts."""
    async with https_client(api, "198.51.100.83") as browser:
        email, access = await _e_mail_code_user(api, browser)
        nothing = await post_form(browser, START, "/account")
        assert nothing.status_code == 401
        assert _error_of(nothing.text, "mfa-start") == MISSING_FACTOR

        await _send_code(browser, "mfa")
        right = latest_mailed_code(api, email)
        empty = await post_form(browser, START, "/account", step_up_method="email", step_up_code="")
        assert empty.status_code == 401
        assert _error_of(empty.text, "mfa-start-code") == MISSING_FACTOR
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        guessed = await post_form(browser, START, "/account", step_up_method="email", step_up_code=wrong)
        assert guessed.status_code == 401
        assert _error_of(guessed.text, "mfa-start-code") == InvalidMfaCode().detail
        made_up = await post_form(browser, START, "/account", step_up_method="pigeon", step_up_code=right)
        assert made_up.status_code == 400
        assert _error_of(made_up.text, "mfa-start-code").startswith("Unknown second-factor method")

        # the code proves one change (here: the options of a new passkey), and is spent afterwards
        token = csrf_of((await browser.get("/account")).text)
        spend = {"csrf_token": token, "step_up_method": "email", "step_up_code": right}
        assert (await browser.post("/account/passkeys/options", data=spend)).status_code == 200
        spent = await post_form(browser, START, "/account", step_up_method="email", step_up_code=right)
        assert spent.status_code == 401
        assert _error_of(spent.text, "mfa-start-code") == MfaCodeExpired().detail
        assert not SECRET.search(spent.text)
    assert await _no_enrolment_waiting(api, access)
    assert (await _factors(api, access))["methods"] == ["email"]


async def _app_and_e_mail_user(api: RunningApp, browser: httpx.AsyncClient) -> tuple[str, str]:
    """A user with an authenticator app and codes by e-mail, signed in on the page with the app."""
    email, tokens = await api.new_user(f"both-{secrets.token_hex(4)}@example.com")
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    proof = {"method": "totp", "code": app.code()}
    await enrol_email_code(api, tokens["access_token"], email, proof=proof)
    api.clock.advance(30)
    assert (await sign_in_page(browser, email, STRONG_PASSWORD)).status_code == 303
    second = await post_form(browser, "/account/sign-in/mfa", "/account/sign-in/mfa", code=app.code())
    assert second.headers["location"] == "/account"
    return email, tokens["access_token"]


async def test_a_mailed_code_turns_the_app_off(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.84") as browser:
        email, access = await _app_and_e_mail_user(api, browser)
        page = await browser.get("/account")
        assert 'label for="mfa-remove-code">Code from the app, or a recovery code<' in page.text
        assert (
            "Changing two-step sign-in needs a current sign-in method. A code we send you works too."
            in page.text
        )

        await _send_code(browser, "mfa")
        asking = await browser.get("/account")
        assert 'label for="mfa-remove-code">Code from the e-mail<' in asking.text
        assert 'label for="recovery-codes-code">Code from the e-mail<' in asking.text
        off = await post_form(
            browser,
            "/account/mfa/remove",
            "/account",
            step_up_method="email",
            step_up_code=latest_mailed_code(api, email),
        )
        assert off.status_code == 303, off.text
        assert "Two-step sign-in is off." in (await browser.get("/account")).text
    assert (await _factors(api, access))["methods"] == ["email"]


async def test_a_mailed_code_removes_a_passkey_without_the_script(api: RunningApp) -> None:
    email, tokens = await api.new_user(f"keymail-{secrets.token_hex(4)}@example.com")
    access = tokens["access_token"]
    authenticator = SoftAuthenticator(TEST_ISSUER)
    passkey = await register_passkey(api, access, authenticator)
    await enrol_email_code(api, access, email, proof=await passkey_step_up(api, access, authenticator))
    async with https_client(api, "198.51.100.85") as browser:
        await sign_in_with_mailed_code(api, browser, email, STRONG_PASSWORD)
        await _send_code(browser, "passkeys")
        page = await browser.get("/account")
        assert 'label for="remove-1-code">Code from the e-mail<' in page.text
        right = latest_mailed_code(api, email)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        fields = {"passkey_id": passkey["id"], "step_up_method": "email"}
        guessed = await post_form(
            browser, "/account/passkeys/remove", "/account", step_up_code=wrong, **fields
        )
        assert guessed.status_code == 401
        assert _error_of(guessed.text, "remove-1-code") == InvalidMfaCode().detail
        assert len((await _factors(api, access))["passkeys"]) == 1

        removed = await post_form(
            browser, "/account/passkeys/remove", "/account", step_up_code=right, **fields
        )
        assert removed.status_code == 303, removed.text
        assert "Passkey removed." in (await browser.get("/account")).text
    assert (await _factors(api, access))["passkeys"] == []


#: every account-page handler behind the signed-in guard, and how a signed-out browser is answered
GUARDED = [
    ("/account/profile", 303),
    ("/account/email", 303),
    ("/account/password", 303),
    ("/account/sessions/revoke", 303),
    ("/account/email/resend", 303),
    ("/account/apps/remove", 303),
    ("/account/mfa/start", 303),
    ("/account/mfa/confirm", 303),
    ("/account/mfa/remove", 303),
    ("/account/mfa/recovery-codes", 303),
    ("/account/passkeys/rename", 303),
    ("/account/passkeys/remove", 303),
    (SEND, 303),
    ("/account/passkeys/options", 401),
    ("/account/passkeys", 401),
    (PASSKEY_STEP_UP, 401),
]


@pytest.mark.threat("T-BRW-01")
@pytest.mark.parametrize(("path", "signed_out_status"), GUARDED)
async def test_the_signed_in_guard_checks_the_forms_token_first(
    api: RunningApp, path: str, signed_out_status: int
) -> None:
    """Attack: another site posts an account-page form. Without the page's token it is refused (403) whether
    or not anyone is signed in; with it but signed out, the page sends the browser to sign in (the script gets
    a 401 with the same way on) and nothing runs."""
    async with https_client(api, "198.51.100.86") as browser:
        forged = await browser.post(path, data={"method": "email"})
        assert forged.status_code == 403
        assert "reload the page and try again" in forged.text
        token = csrf_of((await browser.get("/account/sign-in")).text)
        signed_out = await browser.post(path, data={"csrf_token": token, "method": "email"})
    assert signed_out.status_code == signed_out_status
    if signed_out_status == 303:
        assert signed_out.headers["location"] == "/account/sign-in"
    else:
        assert signed_out.json() == {
            "detail": "You are signed out: sign in again.",
            "redirect": "/account/sign-in",
        }

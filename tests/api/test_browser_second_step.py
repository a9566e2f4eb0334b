"""The hosted second step after a password, over HTTP (no script runs): an e-mail code sent by a plain form, a
code from the app, the passkey endpoints the page's script calls, and each refusal with its status."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.browser_support import browser_app, csrf_of, https_client, post_form, sign_in_page
from tests.harness import STRONG_PASSWORD, TEST_ISSUER, RunningApp
from tests.mfa_support import (
    enrol_email_code,
    enrol_totp,
    latest_mailed_code,
    outbox_messages,
    register_passkey,
)
from tests.webauthn_support import SoftAuthenticator
from tokenward.errors import InvalidMfaCode, InvalidMfaToken, MfaMethodUnavailable

SECOND_STEP = "/account/sign-in/mfa"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("second-step")) as running:
        yield running


async def _e_mail_code_user(api: RunningApp) -> tuple[str, str]:
    """A user whose only second factor is a code by e-mail; returns the address and the user id."""
    email, tokens = await api.new_user(f"step-{secrets.token_hex(4)}@example.com")
    await enrol_email_code(api, tokens["access_token"], email)
    user = await api.container.users.get_by_email(email)
    assert user is not None
    return email, user.id


async def _password_step(browser: httpx.AsyncClient, email: str) -> None:
    answer = await sign_in_page(browser, email, STRONG_PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == SECOND_STEP


async def _page_sign_ins(api: RunningApp, user_id: str) -> list[tuple[str, ...]]:
    """The ``amr`` of each session but the one the API sign-up test helper started (``pwd`` alone)."""
    amrs = [s.amr for s in await api.container.sessions.list_sessions(user_id)]
    amrs.remove(("pwd",))
    return amrs


async def _signed_in(browser: httpx.AsyncClient) -> bool:
    return (await browser.get("/account")).status_code == 200


async def test_an_e_mail_code_user_signs_in_with_a_sent_code_without_script(api: RunningApp) -> None:
    email, user_id = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.61") as browser:
        await _password_step(browser, email)
        first = await browser.get(SECOND_STEP)
        assert first.status_code == 200
        assert 'name="code"' not in first.text  # nothing to type before a code was sent
        assert "Send me a code by e-mail" in first.text
        assert "passkeys.js" not in first.text

        sent = await post_form(browser, f"{SECOND_STEP}/code", SECOND_STEP, method="email")
        assert sent.status_code == 303
        assert sent.headers["location"] == f"{SECOND_STEP}?method=email"
        asking = await browser.get(sent.headers["location"])
        assert f"A code is on its way to {email}. It works once, for 5 minutes." in asking.text
        assert '<input type="hidden" name="method" value="email">' in asking.text
        assert 'label for="code">Code from the e-mail<' in asking.text
        assert "Send a new code by e-mail" in asking.text

        done = await browser.post(
            SECOND_STEP,
            data={
                "csrf_token": csrf_of(asking.text),
                "method": "email",
                "code": latest_mailed_code(api, email),
            },
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/account"
        assert await _signed_in(browser)
    assert await _page_sign_ins(api, user_id) == [("pwd", "otp")]


@pytest.mark.threat("T-FAC-06")
async def test_a_guessed_or_foreign_e_mail_code_is_refused_on_the_page(api: RunningApp) -> None:
    """Attack: guess the mailed code, or use the code mailed for another sign-in of the account; both are
    refused next to the field and sign nobody in."""
    email, user_id = await _e_mail_code_user(api)
    page = f"{SECOND_STEP}?method=email"
    async with https_client(api, "198.51.100.62") as other, https_client(api, "198.51.100.63") as browser:
        await _password_step(browser, email)
        await post_form(browser, f"{SECOND_STEP}/code", SECOND_STEP, method="email")
        right = latest_mailed_code(api, email)
        await _password_step(other, email)
        foreign = right
        while foreign == right:  # one chance in a million that the other sign-in's code is the same
            await post_form(other, f"{SECOND_STEP}/code", SECOND_STEP, method="email")
            foreign = latest_mailed_code(api, email)

        for code in (foreign, f"{(int(right) + 1) % 1_000_000:06d}"):
            refused = await post_form(browser, SECOND_STEP, page, method="email", code=code)
            assert refused.status_code == 401
            assert f'<p class="error" id="code-error">{InvalidMfaCode().detail}</p>' in refused.text
            assert '<input type="hidden" name="method" value="email">' in refused.text
            assert not await _signed_in(browser)

        done = await post_form(browser, SECOND_STEP, page, method="email", code=right)
        assert done.status_code == 303
        assert await _signed_in(browser)
        # used once: the same code again, in the other sign-in, is refused too
        again = await post_form(other, SECOND_STEP, page, method="email", code=right)
        assert again.status_code == 401
        assert not await _signed_in(other)
    assert await _page_sign_ins(api, user_id) == [("pwd", "otp")]


async def test_a_method_the_account_lacks_or_an_unknown_one_is_refused_and_sends_nothing(
    api: RunningApp,
) -> None:
    email, _ = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.64") as browser:
        await _password_step(browser, email)
        by_sms = await post_form(browser, f"{SECOND_STEP}/code", SECOND_STEP, method="sms")
        assert by_sms.status_code == MfaMethodUnavailable.status
        assert "Codes by sms are turned off on this server" in by_sms.text
        unknown = await post_form(browser, f"{SECOND_STEP}/code", SECOND_STEP, method="carrier-pigeon")
        assert unknown.status_code == 400
        assert "Codes are sent for the methods sms and email" in unknown.text
        as_passkey = await post_form(browser, SECOND_STEP, SECOND_STEP, method="webauthn", code="123456")
        assert as_passkey.status_code == 400
        assert "Choose one of the ways offered on this page." in as_passkey.text
        assert len(outbox_messages(api, "mfa_code", email)) == 1  # the enrolment's code only
        assert not await _signed_in(browser)


async def test_the_app_code_stays_the_default_and_e_mail_is_offered_next_to_it(api: RunningApp) -> None:
    email, tokens = await api.new_user(f"both-{secrets.token_hex(4)}@example.com")
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    await enrol_email_code(api, tokens["access_token"], email, proof={"code": app.code()})
    api.clock.advance(30)
    async with https_client(api, "198.51.100.65") as browser:
        await _password_step(browser, email)
        page = await browser.get(SECOND_STEP)
        assert "Enter the 6-digit code from your authenticator app" in page.text
        assert 'name="method"' in page.text  # only in the form that sends an e-mail code
        assert "Send me a code by e-mail" in page.text
        done = await post_form(browser, SECOND_STEP, SECOND_STEP, code=app.code())
        assert done.status_code == 303
        assert await _signed_in(browser)


async def _passkey_user(api: RunningApp, authenticator: SoftAuthenticator) -> tuple[str, str]:
    email, tokens = await api.new_user(f"key-{secrets.token_hex(4)}@example.com")
    await register_passkey(api, tokens["access_token"], authenticator)
    user = await api.container.users.get_by_email(email)
    assert user is not None
    return email, user.id


async def _passkey_options(browser: httpx.AsyncClient, token: str) -> dict[str, Any]:
    answer = await browser.post(f"{SECOND_STEP}/passkey/options", data={"csrf_token": token})
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()["publicKey"]
    return options


@pytest.mark.threat("T-FAC-02")
async def test_the_passkey_endpoints_of_the_page_sign_in_once_per_response(api: RunningApp) -> None:
    """What the page's script does, by hand. Attack: replay the captured response for a new sign-in."""
    authenticator = SoftAuthenticator(TEST_ISSUER)
    email, user_id = await _passkey_user(api, authenticator)
    async with https_client(api, "198.51.100.66") as browser:
        await _password_step(browser, email)
        page = await browser.get(SECOND_STEP)
        assert 'data-options="/account/sign-in/mfa/passkey/options"' in page.text
        assert '<script src="/account/static/passkeys.js"' in page.text
        token = csrf_of(page.text)
        options = await _passkey_options(browser, token)
        assert len(options["allowCredentials"]) == 1
        credential = json.dumps(authenticator.get(options, user_verified=False))
        done = await browser.post(
            f"{SECOND_STEP}/passkey", data={"csrf_token": token, "credential": credential}
        )
        assert done.status_code == 200, done.text
        assert done.json() == {"redirect": "/account"}
        assert await _signed_in(browser)
    assert await _page_sign_ins(api, user_id) == [("pwd", "hwk")]

    async with https_client(api, "198.51.100.67") as attacker:
        await _password_step(attacker, email)
        token = csrf_of((await attacker.get(SECOND_STEP)).text)
        replayed = await attacker.post(
            f"{SECOND_STEP}/passkey", data={"csrf_token": token, "credential": credential}
        )
        assert replayed.status_code == 401
        assert replayed.json()["code"] == "passkey_challenge_invalid"
        assert not await _signed_in(attacker)
    assert await _page_sign_ins(api, user_id) == [("pwd", "hwk")]


async def test_passkey_endpoints_without_a_sign_in_in_progress_say_to_start_again(api: RunningApp) -> None:
    async with https_client(api, "198.51.100.68") as browser:
        token = csrf_of((await browser.get("/account/sign-in")).text)
        answer = await browser.post(f"{SECOND_STEP}/passkey/options", data={"csrf_token": token})
        assert answer.status_code == 401
        assert answer.json() == {
            "code": "invalid_mfa_token",
            "detail": f"{InvalidMfaToken().detail}: start again.",
        }
        assert (await browser.get(SECOND_STEP)).headers["location"] == "/account/sign-in"


@pytest.mark.threat("T-BRW-01")
async def test_sending_a_code_without_the_forms_token_is_refused_and_sends_nothing(api: RunningApp) -> None:
    """Attack: another site posts "send me a code" again and again into the victim's sign-in."""
    email, _ = await _e_mail_code_user(api)
    async with https_client(api, "198.51.100.69") as browser:
        await _password_step(browser, email)
        refused = await browser.post(f"{SECOND_STEP}/code", data={"method": "email"})
    assert refused.status_code == 403
    assert len(outbox_messages(api, "mfa_code", email)) == 1

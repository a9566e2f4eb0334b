"""Passkeys and sent codes on the hosted pages in Chromium, with the DevTools protocol's virtual authenticator
(a CTAP2 platform authenticator with resident keys and user verification): register a passkey on the account
page, sign out, sign in with the passkey alone; a passkey as the second step after a password; a code by e-mail
as the second step, and as the proof that adds a passkey; a passkey as the proof that removes one and that sets up an
authenticator app (the account page's step-up)."""

from __future__ import annotations

import email
import re
from typing import Any

import httpx
import pyotp
from playwright.sync_api import Browser, CDPSession, Page, expect

from tests.e2e.browser.conftest import Site, screenshot

PASSWORD = "correct horse battery staple"
ADDRESS = "passkey-owner@example.com"


def _virtual_authenticator(cdp: CDPSession) -> str:
    cdp.send("WebAuthn.enable")
    added: dict[str, Any] = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    authenticator_id: str = added["authenticatorId"]
    return authenticator_id


def _credentials(cdp: CDPSession, authenticator_id: str) -> list[dict[str, Any]]:
    found: dict[str, Any] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    credentials: list[dict[str, Any]] = found["credentials"]
    return credentials


def _sign_up_and_sign_in(page: Page, site: Site, address: str = ADDRESS) -> None:
    page.goto(f"{site.base}/account/sign-up")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    _password_step(page, site, address)
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def _password_step(page: Page, site: Site, address: str) -> None:
    page.goto(f"{site.base}/account/sign-in")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _add_passkey(page: Page, name: str) -> None:
    page.get_by_label("Name for the new passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text(f"Passkey “{name}” added.")).to_be_visible()


def test_register_a_passkey_then_sign_in_with_it_alone(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    authenticator = _virtual_authenticator(cdp)
    _sign_up_and_sign_in(page, site)

    _add_passkey(page, "Test laptop")
    expect(page.get_by_role("list", name="Your passkeys")).to_contain_text("Test laptop")
    [credential] = _credentials(cdp, authenticator)
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"
    screenshot(page, "account-passkeys")

    page.get_by_role("button", name="Sign out of this device").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in-with-passkey")
    page.get_by_role("button", name="Use a passkey instead").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text(ADDRESS)).to_be_visible()
    [used] = _credentials(cdp, authenticator)
    assert used["signCount"] > credential["signCount"]
    context.close()


def test_a_passkey_is_the_second_step_after_the_password(browser: Browser, site: Site) -> None:
    address = "second-step-key@example.com"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    authenticator = _virtual_authenticator(cdp)
    _sign_up_and_sign_in(page, site, address)
    _add_passkey(page, "Work laptop")
    [credential] = _credentials(cdp, authenticator)
    page.get_by_role("button", name="Sign out of this device").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    _password_step(page, site, address)
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_count(0)  # the passkey is the account's only factor
    screenshot(page, "sign-in-mfa-passkey")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text(address)).to_be_visible()
    [used] = _credentials(cdp, authenticator)
    assert used["signCount"] > credential["signCount"]
    context.close()


CODE = re.compile(r"\b(\d{6})\b")


def _latest_code(site: Site, address: str) -> str:
    """The code of the newest ``mfa_code`` e-mail to the address, from the outbox of the server."""
    paths = sorted(site.outbox().glob("*-mfa_code-*.eml"), key=lambda p: p.stat().st_mtime_ns)
    for path in reversed(paths):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] == address:
            payload = message.get_payload(decode=True)
            assert isinstance(payload, bytes)
            match = CODE.search(payload.decode())
            assert match
            return match.group(1)
    raise AssertionError(f"no code e-mailed to {address}")


def _enrol_e_mail_codes(site: Site, address: str) -> None:
    """Codes by e-mail as the account's one factor, through the API (the account page does not offer it)."""
    with httpx.Client(base_url=site.base) as api:
        signed_in = api.post("/v1/login", json={"email": address, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        assert api.post("/v1/me/mfa/email", headers=headers).status_code == 202
        confirmed = api.post(
            "/v1/me/mfa/email/confirm", json={"code": _latest_code(site, address)}, headers=headers
        )
        assert confirmed.status_code == 200, confirmed.text


def test_a_code_by_e_mail_signs_in_and_adds_a_passkey(browser: Browser, site: Site) -> None:
    address = "mailed-codes@example.com"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    authenticator = _virtual_authenticator(cdp)
    _sign_up_and_sign_in(page, site, address)
    _enrol_e_mail_codes(site, address)
    page.get_by_role("button", name="Sign out of this device").click()

    _password_step(page, site, address)
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    screenshot(page, "sign-in-mfa-send-code")
    page.get_by_role("button", name="Send me a code by e-mail").click()
    expect(page.get_by_text(f"A code is on its way to {address}.")).to_be_visible()
    screenshot(page, "sign-in-mfa-e-mail-code")
    page.get_by_label("Code from the e-mail").fill(_latest_code(site, address))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    # without a code, setting up an app is refused with the API's wording next to the button, and nothing starts
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("A current second factor .* is required"))
    expect(page.locator("#totp-secret")).to_have_count(0)
    screenshot(page, "account-step-up-refused")
    # each section that changes the factors has the "send me a code" form; this one returns to Passkeys
    passkeys = page.get_by_role("region", name="Passkeys")
    passkeys.get_by_role("button", name="Send me a code by e-mail").click()
    expect(page.get_by_text("Enter it under Passkeys;")).to_be_visible()
    assert page.url.endswith("/account#passkeys-heading")  # the page opens at the passkey section
    passkeys.get_by_label("Code from the e-mail").fill(_latest_code(site, address))
    page.evaluate("window.scrollTo(0, 0)")  # a full-page capture taken mid-page misses tiles
    screenshot(page, "account-passkey-e-mail-code")
    _add_passkey(page, "Phone")
    assert len(_credentials(cdp, authenticator)) == 1

    page.get_by_role("button", name="Sign out of this device").click()
    _password_step(page, site, address)
    expect(page.get_by_role("heading", name="Other ways to confirm it is you")).to_be_visible()
    expect(page.get_by_role("button", name="Send me a code by e-mail")).to_be_visible()
    screenshot(page, "sign-in-mfa-choices")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    context.close()


def test_a_passkey_proves_removing_a_passkey_and_setting_up_an_app(browser: Browser, site: Site) -> None:
    """A passkey-only user: the script confirms a passkey, then sends the plain form with its response."""
    address = "passkey-step-up@example.com"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    authenticator = _virtual_authenticator(cdp)
    _sign_up_and_sign_in(page, site, address)
    _add_passkey(page, "Old laptop")
    page.get_by_role("button", name="Remove the passkey Old laptop").click()
    expect(page.get_by_text("Passkey removed.")).to_be_visible()
    expect(page.get_by_role("list", name="Your passkeys")).to_have_count(0)

    _add_passkey(page, "Laptop")  # the removed one stays on the authenticator, unknown to the server
    counts = {c["credentialId"]: c["signCount"] for c in _credentials(cdp, authenticator)}
    expect(page.get_by_text("Setting up an app needs a current sign-in method")).to_be_visible()
    screenshot(page, "account-step-up-passkey")
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("Two-step sign-in is on.")).to_be_visible()
    used = [c for c in _credentials(cdp, authenticator) if c["signCount"] > counts[c["credentialId"]]]
    assert len(used) == 1  # the passkey proved the change
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_label("Code from the app, or a recovery code").first).to_be_visible()
    screenshot(page, "account-step-up-app-code")
    context.close()

"""Passkeys on the hosted pages in Chromium, with the DevTools protocol's virtual authenticator (a CTAP2
platform authenticator with resident keys and user verification): register a passkey on the account page,
sign out, sign in with the passkey alone."""

from __future__ import annotations

from typing import Any

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


def _sign_up_and_sign_in(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/account/sign-up")
    page.get_by_label("E-mail address").fill(ADDRESS)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(f"{site.base}/account/sign-in")
    page.get_by_label("E-mail address").fill(ADDRESS)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_register_a_passkey_then_sign_in_with_it_alone(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    authenticator = _virtual_authenticator(cdp)
    _sign_up_and_sign_in(page, site)

    page.get_by_label("Name for the new passkey").fill("Test laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Test laptop” added.")).to_be_visible()
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

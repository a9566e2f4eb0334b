"""The hosted pages in Chromium: the whole account journey, framing, return URLs, and screenshots of each page.

The journey: sign up -> follow the verification link from the outbox -> sign in -> enrol TOTP (reading the key
the page shows, as an authenticator app would) -> save the recovery codes -> sign out -> sign in with a
recovery code -> the account page lists two sessions -> get new recovery codes -> revoke the other one ->
forgot password -> reset from the e-mailed link -> every old session is gone and the next sign-in still asks
for the second factor.
"""

from __future__ import annotations

import email
import re

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser.conftest import Site, screenshot

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new staple for the horse"
ADDRESS = "journey@example.com"
LINK = re.compile(r"(http://\S+#token=tw[a-z]_[A-Za-z0-9_-]{43})")


def _latest_link(site: Site, kind: str) -> str:
    paths = sorted(site.outbox().glob(f"*-{kind}-*.eml"), key=lambda p: p.stat().st_mtime_ns)
    assert paths, f"no {kind} e-mail in the outbox"
    message = email.message_from_bytes(paths[-1].read_bytes())
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    match = LINK.search(payload.decode())
    assert match, "no link in the e-mail"
    return match.group(1)


def _context(browser: Browser, agent: str) -> BrowserContext:
    return browser.new_context(user_agent=agent, viewport={"width": 1280, "height": 800})


def _sign_in(page: Page, site: Site, password: str = PASSWORD, address: str = ADDRESS) -> None:
    page.goto(f"{site.base}/account/sign-in")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_account_journey(browser: Browser, site: Site) -> None:
    laptop = _context(
        browser, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
    )
    phone = _context(
        browser, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604.1"
    )
    page = laptop.new_page()

    page.goto(f"{site.base}/account/sign-up")
    screenshot(page, "sign-up")
    page.get_by_label("E-mail address").fill(ADDRESS)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(_latest_link(site, "email_verification"))
    expect(page.get_by_label("Code from the link")).to_be_hidden()  # the page's script took it from the link
    assert "#token" not in page.url
    screenshot(page, "verify-email")
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("heading", name="Address confirmed")).to_be_visible()

    page.goto(f"{site.base}/account/sign-in")
    screenshot(page, "sign-in")
    _sign_in(page, site)
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("verified", exact=True)).to_be_visible()

    other = phone.new_page()  # a second device, signed in before MFA is turned on
    _sign_in(other, site)
    expect(other.get_by_role("heading", name="Your account")).to_be_visible()

    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    screenshot(page, "totp-enrolment")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "recovery-codes")
    page.get_by_role("link", name="I have saved them").click()

    page.get_by_role("button", name="Sign out of this device").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    _sign_in(page, site)
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    screenshot(page, "sign-in-mfa")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    sessions = page.locator("ul.sessions > li")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="this device")).to_have_count(1)
    screenshot(page, "account")

    # each form that changes the factors has its own code field; this is the one above its button
    renewal = page.locator("form[action='/account/mfa/recovery-codes']")
    renewal.get_by_label("Code from the app, or a recovery code").fill(codes[1])
    renewal.get_by_role("button", name="Get new recovery codes").click()
    expect(page.get_by_text("New recovery codes: the old ones no longer work.")).to_be_visible()
    renewed = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(renewed) == 10
    assert not set(renewed) & set(codes)
    screenshot(page, "recovery-codes-renewed")
    page.get_by_role("link", name="I have saved them").click()

    sessions.filter(has_text="Safari on iOS").get_by_role("button").click()
    expect(page.get_by_text("That session is signed out.")).to_be_visible()
    expect(page.locator("ul.sessions > li")).to_have_count(1)
    other.goto(f"{site.base}/account")
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()

    page.goto(f"{site.base}/account/forgot-password")
    screenshot(page, "forgot-password")
    page.get_by_label("E-mail address").fill(ADDRESS)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("If an account uses this address")).to_be_visible()

    mail_app = _context(browser, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0").new_page()
    mail_app.goto(_latest_link(site, "password_reset"))
    screenshot(mail_app, "reset-password")
    mail_app.get_by_label("New password").fill(NEW_PASSWORD)
    mail_app.get_by_role("button", name="Set the new password").click()
    expect(mail_app.get_by_role("heading", name="Password changed")).to_be_visible()

    page.goto(f"{site.base}/account")  # the laptop's session ended with the reset
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _sign_in(mail_app, site, NEW_PASSWORD)
    expect(mail_app.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    for context in (laptop, phone, mail_app.context):
        context.close()


def test_an_unverified_address_can_ask_for_a_new_link(browser: Browser, site: Site) -> None:
    page = browser.new_page()
    page.goto(f"{site.base}/account/sign-up")
    page.get_by_label("E-mail address").fill("unverified@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    _sign_in(page, site, address="unverified@example.com")
    expect(page.get_by_text("not verified", exact=True)).to_be_visible()
    screenshot(page, "account-unverified")
    page.get_by_role("button", name="Send a new link").click()
    expect(page.get_by_text("A new link is on its way to unverified@example.com.")).to_be_visible()
    page.close()


def test_not_me_page_explains_before_it_acts(browser: Browser, site: Site) -> None:
    page = browser.new_page()
    page.goto(f"{site.base}/account/not-me")
    expect(page.get_by_role("button", name="Secure my account")).to_be_visible()
    expect(page.get_by_label("Code from the link")).to_be_visible()  # no code in the address: paste it
    screenshot(page, "not-me")
    page.get_by_role("button", name="Secure my account").click()
    expect(page.get_by_text("The code from the link is missing")).to_be_visible()
    page.close()


@pytest.mark.threat("T-BRW-03")
def test_sign_in_page_refuses_to_be_framed(browser: Browser, site: Site) -> None:
    """Attack: another site frames the sign-in page under a decoy to steal clicks and keystrokes."""
    site.evil.html = f'<!doctype html><title>decoy</title><iframe src="{site.base}/account/sign-in"></iframe>'
    page = browser.new_page()
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(site.evil.origin)
    frame = page.frames[1]
    frame.wait_for_load_state()
    assert frame.locator("input#email").count() == 0
    assert any(
        "frame-ancestors" in text or "X-Frame-Options" in text for text in refusals
    ) or frame.url.startswith("chrome-error:")
    page.close()


def test_an_oversized_form_gets_a_page(browser: Browser, site: Site) -> None:
    page = browser.new_page()
    page.goto(f"{site.base}/account/sign-in")
    page.get_by_label("E-mail address").fill(ADDRESS)
    page.get_by_label("Password").fill("x" * 70_000)  # over TOKENWARD_MAX_BODY_BYTES (64 KiB)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Too much data")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Go back, shorten what you entered and try again.")
    screenshot(page, "too-much-data")
    page.close()


@pytest.mark.threat("T-BRW-04")
def test_return_to_an_unlisted_url_is_refused(browser: Browser, site: Site) -> None:
    page = browser.new_page()
    response = page.goto(f"{site.base}/account/sign-in?return_to=https://evil.example/")
    assert response is not None
    assert response.status == 400
    expect(page.get_by_text("is not on this service's list of allowed addresses")).to_be_visible()
    screenshot(page, "return-url-refused")
    listed = page.goto(f"{site.base}/account/sign-in?return_to={site.return_url}")
    assert listed is not None
    assert listed.status == 200
    page.close()

"""A single-page app on a second, allowed origin uses the cookie transport; a page on another site cannot.

The app is the README's snippet, served exactly as written there (only the server's URL replaced), so the
snippet is known to work.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import ROOT, Site

PASSWORD = "correct horse battery staple"
SNIPPET = re.compile(r"<!-- spa-snippet:[^>]*-->\n```html\n(.*?)```", re.S)


def _readme_app(base: str) -> str:
    match = SNIPPET.search((ROOT / "README.md").read_text())
    assert match, "the README has no SPA snippet"
    return match.group(1).replace("http://localhost:8000", base)


def _user(site: Site, address: str) -> None:
    response = httpx.post(f"{site.base}/v1/signup", json={"email": address, "password": PASSWORD})
    assert response.status_code == 202


def _sign_in(page: Page, address: str) -> None:
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#status")).to_have_text(f"Signed in as {address}")


ATTACKS = """async (base) => {
  const results = {};
  const attempts = {
    refresh: () => fetch(base + "/oauth/token", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json", "X-Tokenward-CSRF": "1"},
      body: JSON.stringify({grant_type: "refresh_token"})}),
    refresh_simple: () => fetch(base + "/oauth/token", {method: "POST", credentials: "include", mode: "no-cors",
      headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "grant_type=refresh_token"}),
    logout: () => fetch(base + "/v1/logout", {method: "POST", credentials: "include",
      headers: {"X-Tokenward-CSRF": "1"}}),
    me: () => fetch(base + "/v1/me", {credentials: "include"}),
  };
  for (const [name, attempt] of Object.entries(attempts)) {
    try {
      const response = await attempt();
      results[name] = response.type === "opaque" ? "opaque" : "read:" + response.status;
    } catch (error) {
      results[name] = "blocked";
    }
  }
  return results;
}"""


@pytest.mark.threat("T-BRW-05", "T-BRW-06")
def test_spa_on_an_allowed_origin_keeps_its_session_in_a_cookie_no_script_reads(
    browser: Browser, site: Site
) -> None:
    address = "spa@example.com"
    _user(site, address)
    site.spa.html = _readme_app(site.base)
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.spa.origin + "/")
    expect(page.locator("#status")).to_have_text("Signed out")
    _sign_in(page, address)

    refresh = next(c for c in context.cookies() if c["name"] == "__Host-tokenward-refresh")
    assert refresh["httpOnly"] is True
    assert refresh["secure"] is True
    assert refresh["sameSite"] == "Strict"
    visible = page.evaluate(
        "() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)]"
    )
    assert all(refresh["value"] not in text for text in visible)
    assert "tokenward" not in visible[0]

    page.reload()  # the access token was only in memory: the cookie brings the session back
    expect(page.locator("#status")).to_have_text(f"Signed in as {address}")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#status")).to_have_text("Signed out")
    page.reload()
    expect(page.locator("#status")).to_have_text("Signed out")
    context.close()


@pytest.mark.threat("T-BRW-01", "T-BRW-06")
def test_a_page_on_another_site_fails_every_attempt_and_the_session_is_untouched(
    browser: Browser, site: Site
) -> None:
    """Attack: a page on a site not on the allow-list, open in the same browser as the signed-in app, tries to
    refresh (to rotate the victim out), sign out, and read the user's profile."""
    address = "victim@example.com"
    _user(site, address)
    site.spa.html = _readme_app(site.base)
    site.evil.html = "<!doctype html><title>Free prizes</title>"
    context = browser.new_context()
    app = context.new_page()
    app.goto(site.spa.origin + "/")
    _sign_in(app, address)
    cookie_before = next(c["value"] for c in context.cookies() if c["name"] == "__Host-tokenward-refresh")

    evil = context.new_page()
    evil.goto(site.evil.origin + "/")
    results = evil.evaluate(ATTACKS, site.base)
    assert results == {"refresh": "blocked", "refresh_simple": "opaque", "logout": "blocked", "me": "blocked"}

    cookie_after = next(c["value"] for c in context.cookies() if c["name"] == "__Host-tokenward-refresh")
    assert cookie_after == cookie_before  # nothing was rotated
    app.reload()
    expect(app.locator("#status")).to_have_text(f"Signed in as {address}")
    context.close()

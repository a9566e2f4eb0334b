"""OpenID Connect in Chromium: a relying-party web app on another site (``relying_party_app``) signs a user in
through the hosted pages, with the second step (TOTP) and the consent page of a client that is not
first-party, gets a library-validated ID token and the user's profile, and signs the user out again
(RP-initiated logout ends the hosted session and the app's tokens, and a logout token reaches the app's
back-channel logout endpoint). A refusal on the consent page comes back
to the app as ``access_denied``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import Site, screenshot
from tests.e2e.browser.relying_party_app import RelyingParty, serve
from tests.e2e.oidc_relying_party import PASSWORD, register_client


@pytest.fixture(scope="module")
def app(site: Site) -> Iterator[RelyingParty]:
    relying_party = RelyingParty(issuer=site.base, name="Photo printer")
    relying_party.client = register_client(
        site.data_dir,
        site.base,
        relying_party.name,
        "--type",
        "confidential",
        "--redirect-uri",
        relying_party.redirect_uri,
        "--post-logout-redirect-uri",
        relying_party.logged_out_uri,
        "--backchannel-logout-uri",
        relying_party.backchannel_uri,
    )
    server = serve(relying_party)
    try:
        yield relying_party
    finally:
        server.shutdown()
        server.server_close()


def _user_with_totp(site: Site) -> tuple[str, pyotp.TOTP]:
    """A new account with an authenticator app, set up over the API (the hosted enrolment has its own test);
    the enrolment uses the previous time step's code, so the sign-in's current code is not a replay."""
    email = f"rp-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=site.base) as api:
        assert api.post("/v1/signup", json={"email": email, "password": PASSWORD}).status_code == 202
        token = api.post("/v1/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        enrolment = api.post("/v1/me/mfa/totp", headers=headers)
        assert enrolment.status_code == 201, enrolment.text
        totp = pyotp.TOTP(enrolment.json()["secret"])
        confirmed = api.post(
            "/v1/me/mfa/totp/confirm", json={"code": totp.at(time.time() - 30)}, headers=headers
        )
        assert confirmed.status_code == 200, confirmed.text
    return email, totp


def _sign_in_at_the_app(page: Page, app: RelyingParty, email: str, totp: pyotp.TOTP) -> None:
    page.goto(f"{app.origin}/")
    page.get_by_role("link", name="Sign in with Example Co.").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(totp.now())
    page.get_by_role("button", name="Continue").click()


def test_an_app_on_another_site_signs_a_user_in_with_consent_and_mfa_then_out(
    browser: Browser, site: Site, app: RelyingParty
) -> None:
    email, totp = _user_with_totp(site)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()

    _sign_in_at_the_app(page, app, email, totp)
    expect(page.get_by_role("heading", name="Allow Photo printer?")).to_be_visible()
    expect(page.get_by_text("Your e-mail address, and whether it is verified")).to_be_visible()
    expect(page.get_by_text("127.0.0.1")).to_be_visible()
    screenshot(page, "consent")
    page.get_by_role("button", name="Allow").click()

    expect(page.locator("#who")).to_have_text(email)
    assert page.url.startswith(f"{app.origin}/callback?")
    signed_in = app.signed_in
    assert signed_in is not None
    assert "otp" in signed_in.claims["amr"]
    assert signed_in.claims["aud"] == app.client["client_id"]

    # the account page lists the app, and a refresh gives the app a new ID token for the same sign-in
    page.goto(f"{site.base}/account")
    expect(page.get_by_role("list", name="Applications you allowed")).to_contain_text("Photo printer")
    screenshot(page, "account-with-app")
    refreshed = httpx.post(
        f"{site.base}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": signed_in.tokens["refresh_token"]},
        auth=(app.client["client_id"], app.client["client_secret"]),
    )
    assert refreshed.status_code == 200, refreshed.text
    assert "id_token" in refreshed.json()
    signed_in.tokens = refreshed.json()

    page.goto(f"{app.origin}/")
    page.goto(f"{app.origin}/logout")
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    assert page.url == app.logged_out_uri
    # the app was also told server to server, with a logout token the library checked
    assert [(c["sub"], c["sid"]) for c in app.logged_out] == [
        (signed_in.claims["sub"], signed_in.claims["sid"])
    ]

    # the hosted session and the app's tokens ended with it
    page.goto(f"{site.base}/account")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    after = httpx.post(
        f"{site.base}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": signed_in.tokens["refresh_token"]},
        auth=(app.client["client_id"], app.client["client_secret"]),
    )
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"
    context.close()


def test_refusing_on_the_consent_page_tells_the_app_access_denied(
    browser: Browser, site: Site, app: RelyingParty
) -> None:
    email, totp = _user_with_totp(site)
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()

    _sign_in_at_the_app(page, app, email, totp)
    expect(page.get_by_role("heading", name="Allow Photo printer?")).to_be_visible()
    page.get_by_role("button", name="Refuse").click()

    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.locator("#error")).to_have_text("access_denied")
    page.goto(f"{site.base}/account")
    expect(page.get_by_text("No other application can use your account.")).to_be_visible()
    context.close()

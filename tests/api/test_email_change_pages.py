"""Changing the e-mail address on the hosted pages: the account page's form and the two link pages."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from tests.browser_support import browser_app, https_client, post_form, sign_in_page
from tests.harness import STRONG_PASSWORD, RunningApp
from tests.mfa_support import latest_link_token


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("email-change-pages")) as running:
        yield running


async def test_the_account_page_asks_and_the_link_pages_confirm_and_undo(api: RunningApp) -> None:
    old = f"page-{secrets.token_hex(4)}@example.com"
    new = f"moved-{secrets.token_hex(4)}@example.org"
    assert (await api.sign_up(old)).status_code == 202
    async with https_client(api) as browser:
        await sign_in_page(browser, old, STRONG_PASSWORD)
        asked = await post_form(browser, "/account/email", "/account", new_email=new)
        assert asked.headers["location"] == "/account"
        assert "A link to confirm the change has been sent" in (await browser.get("/account")).text

        token = latest_link_token(api, "email_change_confirmation", new)
        confirmed = await post_form(
            browser, "/account/confirm-email-change", "/account/confirm-email-change", token=token
        )
        assert confirmed.status_code == 200
        assert f"Your account now uses {new}." in confirmed.text

        revert = latest_link_token(api, "email_changed_notice", old)
        reverted = await post_form(
            browser, "/account/revert-email-change", "/account/revert-email-change", token=revert
        )
        assert reverted.status_code == 200
        assert "Your account is secured" in reverted.text
        assert (await browser.get("/account")).status_code == 303  # signed out
    user = await api.container.users.get_by_email(old)
    assert user is not None
    assert user.password_hash is None


async def test_a_look_alike_address_is_refused_next_to_the_field(api: RunningApp) -> None:
    email = f"page-{secrets.token_hex(4)}@example.com"
    assert (await api.sign_up(email)).status_code == 202
    async with https_client(api) as browser:
        await sign_in_page(browser, email, STRONG_PASSWORD)
        refused = await post_form(browser, "/account/email", "/account", new_email="me@ex\u0430mple.com")
    assert refused.status_code == 400
    assert 'id="new_email-error"' in refused.text
    assert "mixes letters of different scripts" in refused.text

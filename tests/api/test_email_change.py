"""Changing the e-mail address over HTTP (T-MFA-11): request, confirm from the new mailbox, undo from the old."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.harness import STRONG_PASSWORD, TEST_ISSUER, RunningApp, bearer, make_settings, running_app
from tests.mfa_support import body_of, latest_link_token, outbox_messages

DAY = 24 * 3600


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(tmp_path_factory.mktemp("email-change"), rate_limits_enabled=False)
    async with running_app(settings) as running:
        yield running


def _address(name: str = "new") -> str:
    return f"{name}-{secrets.token_hex(6)}@example.org"


async def _ask(api: RunningApp, access: str, new_email: str) -> dict[str, Any]:
    response = await api.client.post("/v1/me/email", json={"email": new_email}, headers=bearer(access))
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _me(api: RunningApp, access: str) -> dict[str, Any]:
    body: dict[str, Any] = (await api.client.get("/v1/me", headers=bearer(access))).json()
    return body


async def _changed(api: RunningApp) -> tuple[str, str, dict[str, Any]]:
    """A user whose address was changed from ``old`` to ``new``; returns old, new, and the old tokens."""
    old, tokens = await api.new_user()
    new = _address()
    await _ask(api, tokens["access_token"], new)
    token = latest_link_token(api, "email_change_confirmation", new)
    confirmed = await api.client.post("/v1/email/change/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    return old, new, tokens


@pytest.mark.threat("T-MFA-11")
async def test_the_change_waits_for_the_link_sent_to_the_new_address(api: RunningApp) -> None:
    old, tokens = await api.new_user()
    access = tokens["access_token"]
    new = _address()

    await _ask(api, access, new)

    assert (await _me(api, access))["email"] == old  # nothing changes before the link is used
    body = body_of(outbox_messages(api, "email_change_confirmation", new)[-1])
    assert f"{TEST_ISSUER}/account/confirm-email-change#token=twc_" in body
    token = latest_link_token(api, "email_change_confirmation", new)
    confirmed = await api.client.post("/v1/email/change/confirm", json={"token": token})
    assert confirmed.json() == {"status": "email_changed", "email": new}
    me = await _me(api, access)
    assert (me["email"], me["email_verified"]) == (new, True)
    assert (
        await api.client.post("/v1/login", json={"email": new, "password": STRONG_PASSWORD})
    ).status_code == 200
    again = await api.client.post("/v1/email/change/confirm", json={"token": token})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_one_time_token")
    notice = body_of(outbox_messages(api, "email_changed_notice", old)[-1])
    assert new in notice
    assert f"{TEST_ISSUER}/account/revert-email-change#token=twr_" in notice
    events = [e.type for e in await api.container.audit_log.list_events(user_id=me["id"])]
    assert {"email_change_requested", "email_change_confirmed"} <= set(events)


@pytest.mark.threat("T-MFA-11")
async def test_a_change_needs_a_recent_sign_in(api: RunningApp) -> None:
    """Attack: a stolen long-lived session points the address (and so reset links) at the attacker's."""
    _, tokens = await api.new_user()
    api.clock.advance(api.settings.reauthentication_window + 1)
    target = _address("attacker")

    response = await api.client.post(
        "/v1/me/email", json={"email": target}, headers=bearer(tokens["access_token"])
    )

    assert (response.status_code, response.json()["code"]) == (403, "recent_sign_in_required")
    assert not outbox_messages(api, "email_change_confirmation", target)


@pytest.mark.threat("T-MFA-11")
async def test_the_revert_link_restores_the_address_and_ends_every_session(api: RunningApp) -> None:
    """Attack: an intruder who knows the password moves the account to their own address."""
    old, new, tokens = await _changed(api)
    other = await api.login(new)
    revert = latest_link_token(api, "email_changed_notice", old)
    api.clock.advance(6 * DAY)

    response = await api.client.post("/v1/email/change/revert", json={"token": revert})

    assert response.status_code == 200, response.text
    assert response.json()["sessions_ended"] == 2
    for refresh_token in (tokens["refresh_token"], other["refresh_token"]):
        assert (await api.refresh(refresh_token)).json()["error"] == "invalid_grant"
    for address in (old, new):  # the intruder's password is gone, and so is the new address
        refused = await api.client.post("/v1/login", json={"email": address, "password": STRONG_PASSWORD})
        assert (refused.status_code, refused.json()["code"]) == (401, "invalid_credentials")
    reset = latest_link_token(api, "password_reset", old)
    done = await api.client.post(
        "/v1/password/reset", json={"token": reset, "new_password": "a brand new pass phrase"}
    )
    assert done.status_code == 200, done.text
    signed_in = await api.login(old, "a brand new pass phrase")
    assert (await _me(api, signed_in["access_token"]))["email"] == old
    again = await api.client.post("/v1/email/change/revert", json={"token": revert})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_one_time_token")


@pytest.mark.threat("T-MFA-11")
async def test_links_expire(api: RunningApp) -> None:
    """Attack: use a confirmation link after 24 hours, or a revert link after 7 days."""
    _, tokens = await api.new_user()
    late = _address()
    await _ask(api, tokens["access_token"], late)
    confirm = latest_link_token(api, "email_change_confirmation", late)
    api.clock.advance(DAY + 1)
    expired = await api.client.post("/v1/email/change/confirm", json={"token": confirm})
    assert (expired.status_code, expired.json()["code"]) == (400, "invalid_one_time_token")

    old, new, _ = await _changed(api)
    revert = latest_link_token(api, "email_changed_notice", old)
    api.clock.advance(7 * DAY + 1)
    expired = await api.client.post("/v1/email/change/revert", json={"token": revert})
    assert (expired.status_code, expired.json()["code"]) == (400, "invalid_one_time_token")
    assert (await api.login(new))["access_token"]  # the change stands


@pytest.mark.threat("T-MFA-11")
async def test_link_kinds_are_not_interchangeable(api: RunningApp) -> None:
    """Attack: offer a change, revert, verification, reset or not-me token to another kind's endpoint."""
    old, tokens = await api.new_user()
    verification = latest_link_token(api, "email_verification", old)
    await api.client.post("/v1/password/forgot", json={"email": old})
    reset = latest_link_token(api, "password_reset", old)
    new = _address()
    await _ask(api, tokens["access_token"], new)
    confirm = latest_link_token(api, "email_change_confirmation", new)
    endpoints = {
        "/v1/email/change/confirm": confirm,
        "/v1/email/change/revert": None,
        "/v1/email/verify": verification,
        "/v1/sign-in/not-me": None,
    }
    for endpoint, own in endpoints.items():
        for token in (confirm, verification, reset):
            if token == own:
                continue
            response = await api.client.post(endpoint, json={"token": token})
            assert (response.status_code, response.json()["code"]) == (400, "invalid_one_time_token"), (
                endpoint
            )
    confirmed = await api.client.post("/v1/email/change/confirm", json={"token": confirm})
    assert confirmed.status_code == 200  # none of the refusals above spent it
    revert = latest_link_token(api, "email_changed_notice", old)
    for endpoint in ("/v1/email/change/confirm", "/v1/email/verify", "/v1/sign-in/not-me"):
        response = await api.client.post(endpoint, json={"token": revert})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_one_time_token"), endpoint
    refused = await api.client.post(
        "/v1/password/reset", json={"token": revert, "new_password": "another long phrase"}
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_one_time_token")


@pytest.mark.threat("T-MFA-11")
async def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_a_notice(
    api: RunningApp,
) -> None:
    """Attack: learn which addresses have accounts by asking to move an account to them."""
    taken, _ = await api.new_user()
    _, tokens = await api.new_user()
    free = _address()

    answer_taken = await _ask(api, tokens["access_token"], taken.upper())
    answer_free = await _ask(api, tokens["access_token"], free)

    assert answer_taken == answer_free
    assert not outbox_messages(api, "email_change_confirmation", taken)
    assert outbox_messages(api, "account_exists_notice", taken)
    assert outbox_messages(api, "email_change_confirmation", free)


@pytest.mark.threat("T-MFA-11")
async def test_look_alike_and_invalid_addresses_are_refused(api: RunningApp) -> None:
    """Attack: move an account to a domain that imitates another one (Cyrillic 'а' in 'exаmple')."""
    _, tokens = await api.new_user()
    for address in ("victim@ex\u0430mple.com", "not-an-address", "\u0441\u043e\u0441\u043e@example.com"):
        response = await api.client.post(
            "/v1/me/email", json={"email": address}, headers=bearer(tokens["access_token"])
        )
        assert (response.status_code, response.json()["code"]) == (400, "invalid_request"), address
        assert not outbox_messages(api, "email_change_confirmation", address)


async def test_an_intruder_cannot_undo_the_owners_revert_with_a_later_one(api: RunningApp) -> None:
    """Attack: change the address twice, so that a revert link reaches the intruder's first address too."""
    old, first, _ = await _changed(api)
    owner_revert = latest_link_token(api, "email_changed_notice", old)
    api.clock.advance(60)
    fresh = await api.login(first)
    second = _address()
    await _ask(api, fresh["access_token"], second)
    confirm = latest_link_token(api, "email_change_confirmation", second)
    assert (await api.client.post("/v1/email/change/confirm", json={"token": confirm})).status_code == 200
    intruder_revert = latest_link_token(api, "email_changed_notice", first)

    assert (await api.client.post("/v1/email/change/revert", json={"token": owner_revert})).status_code == 200
    late = await api.client.post("/v1/email/change/revert", json={"token": intruder_revert})

    assert (late.status_code, late.json()["code"]) == (400, "invalid_one_time_token")
    assert outbox_messages(api, "password_reset", old)
    assert not outbox_messages(api, "password_reset", first)

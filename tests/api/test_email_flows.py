"""E-mail verification, password reset and new-sign-in notices through HTTP, read from the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import STRONG_PASSWORD, TEST_ISSUER, RunningApp, bearer, make_settings, running_app
from tests.mfa_support import body_of, latest_link_token, outbox_messages


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(tmp_path_factory.mktemp("email"), rate_limits_enabled=False)
    async with running_app(settings) as running:
        yield running


async def test_sign_up_sends_a_verification_link_that_works_once(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    me = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.json()["email_verified"] is False
    token = latest_link_token(api, "email_verification", email)
    assert (await api.client.post("/v1/email/verify", json={"token": token})).status_code == 200
    me = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.json()["email_verified"] is True
    again = await api.client.post("/v1/email/verify", json={"token": token})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_one_time_token")


async def test_resend_replaces_the_earlier_link(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    first = latest_link_token(api, "email_verification", email)
    resent = await api.client.post("/v1/email/resend", headers=bearer(tokens["access_token"]))
    assert resent.status_code == 202
    second = latest_link_token(api, "email_verification", email)
    assert second != first
    assert (await api.client.post("/v1/email/verify", json={"token": first})).status_code == 400
    assert (await api.client.post("/v1/email/verify", json={"token": second})).status_code == 200


@pytest.mark.threat("T-MFA-08")
async def test_forgot_password_answers_the_same_for_unknown_addresses(api: RunningApp) -> None:
    """Attack: learn which addresses have accounts from the forgot-password answer."""
    email, _ = await api.new_user()
    known = await api.client.post("/v1/password/forgot", json={"email": email})
    unknown = await api.client.post("/v1/password/forgot", json={"email": "nobody-here@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert outbox_messages(api, "password_reset", email)
    assert not outbox_messages(api, "password_reset", "nobody-here@example.com")


@pytest.mark.threat("T-MFA-07")
async def test_reset_link_is_single_use_expires_and_ends_every_session(api: RunningApp) -> None:
    """Attack: reuse a reset link, or use it after 30 minutes."""
    email, tokens = await api.new_user()
    await api.client.post("/v1/password/forgot", json={"email": email})
    token = latest_link_token(api, "password_reset", email)
    weak = await api.client.post("/v1/password/reset", json={"token": token, "new_password": "password"})
    assert weak.json()["code"] == "password_rejected"  # the policy applies, and the link is not spent
    new_password = "another good passphrase 42"
    done = await api.client.post("/v1/password/reset", json={"token": token, "new_password": new_password})
    assert done.status_code == 200
    assert done.json()["sessions_ended"] == 1
    assert (await api.refresh(tokens["refresh_token"])).json()["error"] == "invalid_grant"
    reuse = await api.client.post("/v1/password/reset", json={"token": token, "new_password": "x" * 20})
    assert (reuse.status_code, reuse.json()["code"]) == (400, "invalid_one_time_token")
    assert (
        await api.client.post("/v1/login", json={"email": email, "password": new_password})
    ).status_code == 200

    await api.client.post("/v1/password/forgot", json={"email": email})
    late = latest_link_token(api, "password_reset", email)
    api.clock.advance(30 * 60 + 1)
    expired = await api.client.post("/v1/password/reset", json={"token": late, "new_password": "y" * 20})
    assert (expired.status_code, expired.json()["code"]) == (400, "invalid_one_time_token")


@pytest.mark.threat("T-MFA-09")
async def test_links_ignore_a_spoofed_host_header(api: RunningApp) -> None:
    """Attack: reset poisoning, a forged Host / X-Forwarded-Host so the e-mailed link points at the attacker."""
    email, _ = await api.new_user()
    await api.client.post(
        "/v1/password/forgot",
        json={"email": email},
        headers={
            "Host": "evil.example",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "host=evil.example",
        },
    )
    body = body_of(outbox_messages(api, "password_reset", email)[-1])
    assert f"{TEST_ISSUER}/account/reset-password#token=twp_" in body
    assert "evil" not in body


async def test_new_device_sends_a_notice_whose_not_me_link_locks_the_account(api: RunningApp) -> None:
    email, first = await api.new_user()
    assert not outbox_messages(api, "new_sign_in_notice", email)  # the first device is expected
    await api.login(email)
    assert not outbox_messages(api, "new_sign_in_notice", email)  # known device
    other = await api.client.post(
        "/v1/login",
        json={"email": email, "password": STRONG_PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/120.0"},
    )
    assert other.status_code == 200
    notice = body_of(outbox_messages(api, "new_sign_in_notice", email)[-1])
    assert "Firefox" in notice
    assert "203.0.113.7" in notice
    assert "2026-01-01" in notice
    token = latest_link_token(api, "new_sign_in_notice", email)

    secured = await api.client.post("/v1/sign-in/not-me", json={"token": token})
    assert secured.status_code == 200, secured.text
    assert (await api.refresh(first["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await api.refresh(other.json()["refresh_token"])).json()["error"] == "invalid_grant"
    old = await api.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
    assert (old.status_code, old.json()["code"]) == (401, "invalid_credentials")
    assert outbox_messages(api, "password_reset", email)  # the way back in


async def test_unverified_addresses_can_be_refused_at_sign_in(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = make_settings(tmp_path_factory.mktemp("verified"), require_verified_email=True)
    async with running_app(settings) as strict:
        email = "strict@example.com"
        await strict.sign_up(email)
        refused = await strict.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
        assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
        token = latest_link_token(strict, "email_verification", email)
        assert (await strict.client.post("/v1/email/verify", json={"token": token})).status_code == 200
        assert (
            await strict.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
        ).status_code == 200


@pytest.mark.threat("T-MFA-11")
async def test_the_address_cannot_be_changed_through_the_profile(api: RunningApp) -> None:
    """Attack: take an account over by pointing its address (and so its reset links) at the attacker's."""
    email, tokens = await api.new_user()
    response = await api.client.patch(
        "/v1/me", json={"email": "attacker@example.com"}, headers=bearer(tokens["access_token"])
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_request")
    me = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.json()["email"] == email

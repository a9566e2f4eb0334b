"""MFA through HTTP with a real authenticator (pyotp): enrol, sign in, replay, attempt limit, recovery codes,
re-authentication, removal lowering ``amr``. The issue's "Done when" walk-through is the first test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import STRONG_PASSWORD, RunningApp, bearer, make_settings, running_app
from tests.mfa_support import claims_of, enrol_totp, latest_link_token, password_step


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    """Route rate limits off: these tests sign in many times from one address (limits have their own tests)."""
    settings = make_settings(tmp_path_factory.mktemp("mfa"), rate_limits_enabled=False)
    async with running_app(settings) as running:
        yield running


async def _second_step(api: RunningApp, mfa_token: str, code: str) -> tuple[int, dict[str, object]]:
    response = await api.client.post("/v1/login/mfa", json={"mfa_token": mfa_token, "code": code})
    return response.status_code, response.json()


@pytest.mark.threat("T-MFA-01", "T-MFA-02", "T-MFA-04")
async def test_done_when_enrol_sign_in_replay_recovery_code_and_reset(api: RunningApp) -> None:
    """The issue's acceptance walk-through, with pyotp as the user's TOTP app."""
    email, tokens = await api.new_user()
    app, recovery = await enrol_totp(api, tokens["access_token"])
    assert len(recovery) == 10

    # sign in with a code (a new time step: the confirmation used the current one)
    api.clock.advance(30)
    first = await password_step(api, email, STRONG_PASSWORD)
    assert first["mfa_required"] is True
    assert "access_token" not in first
    assert set(first["methods"]) == {"totp", "recovery_code"}
    code = app.code()
    status, signed_in = await _second_step(api, first["mfa_token"], code)
    assert status == 200
    assert claims_of(str(signed_in["access_token"]))["amr"] == ["pwd", "otp"]

    # the same code again, on a fresh password step: refused as a replay
    again = await password_step(api, email, STRONG_PASSWORD)
    status, refused = await _second_step(api, again["mfa_token"], code)
    assert (status, refused["code"]) == (401, "mfa_code_replayed")

    # a recovery code works once, not twice
    status, by_code = await _second_step(api, again["mfa_token"], recovery[0])
    assert status == 200
    assert claims_of(str(by_code["access_token"]))["amr"] == ["pwd", "rc"]
    third = await password_step(api, email, STRONG_PASSWORD)
    status, refused = await _second_step(api, third["mfa_token"], recovery[0])
    assert (status, refused["code"]) == (401, "invalid_mfa_code")

    # reset the password: MFA stays on, the next sign-in still asks for the factor
    assert (await api.client.post("/v1/password/forgot", json={"email": email})).status_code == 202
    reset_token = latest_link_token(api, "password_reset", email)
    new_password = "a brand new passphrase after reset"
    reset = await api.client.post(
        "/v1/password/reset", json={"token": reset_token, "new_password": new_password}
    )
    assert reset.status_code == 200, reset.text
    after = await password_step(api, email, new_password)
    assert after["mfa_required"] is True
    assert "access_token" not in after
    api.clock.advance(30)
    status, _ = await _second_step(api, after["mfa_token"], app.code())
    assert status == 200


@pytest.mark.threat("T-MFA-03")
async def test_wrong_codes_kill_the_mfa_token_after_five_attempts(api: RunningApp) -> None:
    """Attack: guess TOTP codes against one MFA token."""
    email, tokens = await api.new_user()
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    challenge = await password_step(api, email, STRONG_PASSWORD)
    good = app.code()
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(5):
        status, body = await _second_step(api, challenge["mfa_token"], wrong)
        assert (status, body["code"]) == (401, "invalid_mfa_code")
    status, body = await _second_step(api, challenge["mfa_token"], good)
    assert (status, body["code"]) == (401, "invalid_mfa_token")


@pytest.mark.threat("T-MFA-01")
async def test_mfa_token_is_single_use_and_expires_after_five_minutes(api: RunningApp) -> None:
    """Attack: reuse a captured MFA token, or use it late."""
    email, tokens = await api.new_user()
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    challenge = await password_step(api, email, STRONG_PASSWORD)
    assert (await _second_step(api, challenge["mfa_token"], app.code()))[0] == 200
    api.clock.advance(30)
    status, body = await _second_step(api, challenge["mfa_token"], app.code())
    assert (status, body["code"]) == (401, "invalid_mfa_token")

    late = await password_step(api, email, STRONG_PASSWORD)
    api.clock.advance(301)
    status, body = await _second_step(api, late["mfa_token"], app.code())
    assert (status, body["code"]) == (401, "invalid_mfa_token")


@pytest.mark.threat("T-MFA-05")
async def test_changing_factors_needs_a_recent_sign_in_and_a_current_code(api: RunningApp) -> None:
    """Attack: with a stolen (older) session, turn MFA off or mint new recovery codes."""
    _email, tokens = await api.new_user()
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)

    no_code = await api.client.request("DELETE", "/v1/me/mfa/totp", headers=bearer(tokens["access_token"]))
    assert (no_code.status_code, no_code.json()["code"]) == (401, "invalid_mfa_code")

    # eleven minutes later the session is still alive through refresh, but the sign-in is no longer recent
    api.clock.advance(11 * 60)
    refreshed = (await api.refresh(tokens["refresh_token"])).json()
    for method, path in (("DELETE", "/v1/me/mfa/totp"), ("POST", "/v1/me/mfa/recovery-codes")):
        response = await api.client.request(
            method, path, json={"code": app.code()}, headers=bearer(refreshed["access_token"])
        )
        assert (response.status_code, response.json()["code"]) == (403, "reauthentication_required")
    enrol = await api.client.post("/v1/me/mfa/totp", headers=bearer(refreshed["access_token"]))
    assert (enrol.status_code, enrol.json()["code"]) == (403, "reauthentication_required")


@pytest.mark.threat("T-MFA-06")
async def test_removing_the_factor_lowers_amr_of_existing_sessions(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    app, recovery = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    challenge = await password_step(api, email, STRONG_PASSWORD)
    status, with_otp = await _second_step(api, challenge["mfa_token"], app.code())
    assert status == 200
    assert claims_of(str(with_otp["access_token"]))["amr"] == ["pwd", "otp"]

    removed = await api.client.request(
        "DELETE", "/v1/me/mfa/totp", json={"code": recovery[0]}, headers=bearer(str(with_otp["access_token"]))
    )
    assert removed.status_code == 200, removed.text
    refreshed = (await api.refresh(str(with_otp["refresh_token"]))).json()
    assert claims_of(refreshed["access_token"])["amr"] == ["pwd"]
    # and sign-in no longer asks for a factor
    assert "access_token" in await password_step(api, email, STRONG_PASSWORD)


async def test_regenerating_recovery_codes_replaces_the_old_ones(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    app, old = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    response = await api.client.post(
        "/v1/me/mfa/recovery-codes", json={"code": app.code()}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200, response.text
    new = response.json()["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    challenge = await password_step(api, email, STRONG_PASSWORD)
    assert (await _second_step(api, challenge["mfa_token"], old[1]))[0] == 401
    assert (await _second_step(api, challenge["mfa_token"], new[1]))[0] == 200


async def test_confirming_needs_a_started_enrolment_and_a_valid_code(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    headers = bearer(tokens["access_token"])
    nothing = await api.client.post("/v1/me/mfa/totp/confirm", json={"code": "123456"}, headers=headers)
    assert (nothing.status_code, nothing.json()["code"]) == (409, "mfa_state_conflict")
    started = await api.client.post("/v1/me/mfa/totp", headers=headers)
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert body["qr_svg"].lstrip().startswith("<svg")
    assert started.headers["cache-control"] == "no-store"
    wrong = await api.client.post("/v1/me/mfa/totp/confirm", json={"code": "000000"}, headers=headers)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_mfa_code")

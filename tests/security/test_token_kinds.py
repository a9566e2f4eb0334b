"""Every token kind is refused wherever another kind is expected, with the exact rejection.

Kinds: access JWT, refresh (``twr_``), MFA (``twm_``), e-mail verification (``twv_``), password reset
(``twp_``) and "this was not me" (``twn_``). Each live, unused token is sent to every place that expects a
different kind; afterwards each still works in its own place, so the refusals did not spend it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.harness import STRONG_PASSWORD, RunningApp, bearer, make_settings, running_app
from tests.mfa_support import enrol_totp, latest_link_token


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(tmp_path_factory.mktemp("kinds"), rate_limits_enabled=False)
    async with running_app(settings) as running:
        yield running


async def _live_tokens(api: RunningApp) -> dict[str, str]:
    email, tokens = await api.new_user()
    await enrol_totp(api, tokens["access_token"])
    other_device = {"User-Agent": "Mozilla/5.0 Safari/17.0"}
    mfa = (
        await api.client.post(
            "/v1/login", json={"email": email, "password": STRONG_PASSWORD}, headers=other_device
        )
    ).json()
    await api.client.post("/v1/password/forgot", json={"email": email})
    # a "not me" token needs a completed sign-in from a new device: a second account without MFA
    plain_email, _ = await api.new_user()
    await api.client.post(
        "/v1/login", json={"email": plain_email, "password": STRONG_PASSWORD}, headers=other_device
    )
    return {
        "access": tokens["access_token"],
        "refresh": tokens["refresh_token"],
        "mfa": mfa["mfa_token"],
        "verification": latest_link_token(api, "email_verification", email),
        "reset": latest_link_token(api, "password_reset", email),
        "not_me": latest_link_token(api, "new_sign_in_notice", plain_email),
    }


async def _use(api: RunningApp, place: str, token: str) -> httpx.Response:
    if place == "access":
        return await api.client.get("/v1/me", headers=bearer(token))
    if place == "refresh":
        return await api.refresh(token)
    if place == "mfa":
        return await api.client.post("/v1/login/mfa", json={"mfa_token": token, "code": "123456"})
    if place == "verification":
        return await api.client.post("/v1/email/verify", json={"token": token})
    if place == "reset":
        return await api.client.post(
            "/v1/password/reset", json={"token": token, "new_password": "a fresh passphrase here"}
        )
    return await api.client.post("/v1/sign-in/not-me", json={"token": token})


#: the exact rejection of a token of the wrong kind in each place
REJECTION: dict[str, tuple[int, str, Any]] = {
    "access": (401, "code", "invalid_token"),
    "refresh": (400, "error", "invalid_grant"),
    "mfa": (401, "code", "invalid_mfa_token"),
    "verification": (400, "code", "invalid_one_time_token"),
    "reset": (400, "code", "invalid_one_time_token"),
    "not_me": (400, "code", "invalid_one_time_token"),
}


@pytest.mark.threat("T-MFA-10", "T-JWT-12")
async def test_every_kind_is_refused_in_every_other_place(api: RunningApp) -> None:
    """Attack: token-kind confusion, e.g. an MFA token as a bearer token or a reset token as a verification."""
    tokens = await _live_tokens(api)
    for kind, token in tokens.items():
        for place, (status, field, value) in REJECTION.items():
            if place == kind:
                continue
            response = await _use(api, place, token)
            assert (response.status_code, response.json()[field]) == (status, value), (kind, place)
            if place == "access":
                assert response.json()["detail"] in {"malformed", "wrong_type"}
    # nothing was spent: each token still works in its own place (the MFA place needs a real code)
    for kind in ("access", "refresh", "verification", "reset", "not_me"):
        response = await _use(api, kind, tokens[kind])
        assert response.status_code == 200, (kind, response.text)
    wrong_code = await _use(api, "mfa", tokens["mfa"])
    assert wrong_code.json()["code"] == "invalid_mfa_code"  # the token was accepted, the code was not

"""Passkeys through HTTP with a software authenticator (tests/webauthn_support.py): registration, passwordless
sign-in, the second step after a password, step-up, and each refusal with its exact error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.harness import STRONG_PASSWORD, TEST_ISSUER, RunningApp, bearer, make_settings, running_app
from tests.mfa_support import (
    body_of,
    claims_of,
    latest_link_token,
    outbox_messages,
    passkey_step_up,
    password_step,
    register_passkey,
)
from tests.webauthn_support import SoftAuthenticator

ORIGIN = TEST_ISSUER


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("passkeys"))) as running:
        yield running


async def passwordless_options(api: RunningApp) -> dict[str, Any]:
    response = await api.client.post("/v1/login/passkey/options")
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()["publicKey"]
    return options


async def sign_in_with(api: RunningApp, credential: dict[str, Any]) -> httpx.Response:
    return await api.client.post("/v1/login/passkey", json={"credential": credential})


async def user_with_passkey(
    api: RunningApp, authenticator: SoftAuthenticator
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    email, tokens = await api.new_user()
    passkey = await register_passkey(api, tokens["access_token"], authenticator)
    return email, tokens, passkey


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def test_register_then_sign_in_with_the_passkey_alone(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    _, tokens, passkey = await user_with_passkey(api, authenticator)
    assert passkey["name"] == "Laptop"
    assert passkey["synced"] is False
    listed = await api.client.get("/v1/me/passkeys", headers=bearer(tokens["access_token"]))
    assert [p["id"] for p in listed.json()["passkeys"]] == [passkey["id"]]

    options = await passwordless_options(api)
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    signed_in = await sign_in_with(api, authenticator.get(options))
    assert signed_in.status_code == 200, signed_in.text
    assert claims_of(signed_in.json()["access_token"])["amr"] == ["hwk", "user", "mfa"]


async def test_a_synced_passkey_with_attestation_none_is_a_software_key(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN, synced=True, counts=False, attestation="none")
    _, _, passkey = await user_with_passkey(api, authenticator)
    assert passkey["synced"] is True
    for _ in range(2):  # no counter (always 0) is not a clone sign
        signed_in = await sign_in_with(api, authenticator.get(await passwordless_options(api)))
        assert signed_in.status_code == 200, signed_in.text
        assert claims_of(signed_in.json()["access_token"])["amr"] == ["swk", "user", "mfa"]


async def test_a_passkey_is_the_second_step_after_the_password(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    email, _, _ = await user_with_passkey(api, authenticator)
    first = await password_step(api, email, STRONG_PASSWORD)
    assert first["mfa_required"] is True
    assert first["methods"] == ["webauthn"]
    options = await api.client.post("/v1/login/mfa/webauthn/options", json={"mfa_token": first["mfa_token"]})
    assert options.status_code == 200, options.text
    assert len(options.json()["publicKey"]["allowCredentials"]) == 1
    credential = authenticator.get(options.json()["publicKey"], user_verified=False)
    second = await api.client.post(
        "/v1/login/mfa", json={"mfa_token": first["mfa_token"], "method": "webauthn", "webauthn": credential}
    )
    assert second.status_code == 200, second.text
    assert claims_of(second.json()["access_token"])["amr"] == ["pwd", "hwk"]


@pytest.mark.threat("T-FAC-01")
async def test_a_response_made_on_another_origin_is_refused(api: RunningApp) -> None:
    """Attack: a phishing page on another origin relays the user's passkey response."""
    authenticator = SoftAuthenticator(ORIGIN)
    _, tokens, _ = await user_with_passkey(api, authenticator)
    phished = authenticator.get(
        await passwordless_options(api), origin="https://auth.example.test.evil.example"
    )
    assert refusal(await sign_in_with(api, phished)) == (401, "passkey_origin_mismatch")

    options = await api.client.post(
        "/v1/me/passkeys/registration/options", headers=bearer(tokens["access_token"])
    )
    assert refusal(options) == (401, "invalid_mfa_code")  # a passkey is on: the change needs it first
    proof = await passkey_step_up(api, tokens["access_token"], authenticator)
    options = await api.client.post(
        "/v1/me/passkeys/registration/options", json=proof, headers=bearer(tokens["access_token"])
    )
    created = SoftAuthenticator("https://evil.example").create(options.json()["publicKey"])
    registered = await api.client.post(
        "/v1/me/passkeys", json={"credential": created}, headers=bearer(tokens["access_token"])
    )
    assert refusal(registered) == (401, "passkey_origin_mismatch")


@pytest.mark.threat("T-FAC-01")
async def test_a_credential_scoped_to_another_rp_id_is_refused(api: RunningApp) -> None:
    """Attack: a credential (or a response) made for another relying party is presented here."""
    authenticator = SoftAuthenticator(ORIGIN)
    await user_with_passkey(api, authenticator)
    foreign = authenticator.get(await passwordless_options(api), rp_id="evil.example")
    assert refusal(await sign_in_with(api, foreign)) == (401, "passkey_rp_id_mismatch")

    _, tokens = await api.new_user()
    options = await api.client.post(
        "/v1/me/passkeys/registration/options", headers=bearer(tokens["access_token"])
    )
    created = SoftAuthenticator(ORIGIN).create(options.json()["publicKey"], rp_id="example.test")
    registered = await api.client.post(
        "/v1/me/passkeys", json={"credential": created}, headers=bearer(tokens["access_token"])
    )
    assert refusal(registered) == (401, "passkey_rp_id_mismatch")


@pytest.mark.threat("T-FAC-02")
async def test_a_replayed_response_finds_its_challenge_used(api: RunningApp) -> None:
    """Attack: a captured passkey response is sent again, to the same or another ceremony."""
    authenticator = SoftAuthenticator(ORIGIN)
    email, _, _ = await user_with_passkey(api, authenticator)
    credential = authenticator.get(await passwordless_options(api))
    assert (await sign_in_with(api, credential)).status_code == 200
    assert refusal(await sign_in_with(api, credential)) == (401, "passkey_challenge_invalid")

    # a fresh passwordless response offered as the second step of a password sign-in: another ceremony
    other = authenticator.get(await passwordless_options(api))
    first = await password_step(api, email, STRONG_PASSWORD)
    crossed = await api.client.post(
        "/v1/login/mfa", json={"mfa_token": first["mfa_token"], "method": "webauthn", "webauthn": other}
    )
    assert refusal(crossed) == (401, "passkey_challenge_invalid")
    # and it was taken by that try: it cannot sign in on its own afterwards either
    assert refusal(await sign_in_with(api, other)) == (401, "passkey_challenge_invalid")


@pytest.mark.threat("T-FAC-02")
async def test_a_challenge_expires_after_five_minutes(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await user_with_passkey(api, authenticator)
    options = await passwordless_options(api)
    api.clock.advance(301)
    assert refusal(await sign_in_with(api, authenticator.get(options))) == (401, "passkey_challenge_invalid")


@pytest.mark.threat("T-FAC-03")
async def test_a_counter_that_goes_backwards_is_refused_and_recorded_as_a_clone(api: RunningApp) -> None:
    """Attack: a copy of the authenticator's key signs with a counter the original already passed."""
    authenticator = SoftAuthenticator(ORIGIN)
    _, tokens, _ = await user_with_passkey(api, authenticator)
    for _ in range(3):
        assert (
            await sign_in_with(api, authenticator.get(await passwordless_options(api)))
        ).status_code == 200
    cloned = authenticator.get(await passwordless_options(api), sign_count=2)
    assert refusal(await sign_in_with(api, cloned)) == (401, "passkey_counter_regressed")
    same = authenticator.get(await passwordless_options(api), sign_count=3)
    assert refusal(await sign_in_with(api, same)) == (401, "passkey_counter_regressed")

    me = (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()
    events = await api.container.audit_log.list_events(user_id=me["id"], event_type="passkey_clone_suspected")
    assert [(e.details["stored_count"], e.details["received_count"]) for e in events] == [(3, 3), (3, 2)]


async def test_a_passkey_of_another_user_is_refused_as_the_second_step(api: RunningApp) -> None:
    """Attack: after stealing a password, answer the second step with the attacker's own passkey."""
    victim_key, attacker_key = SoftAuthenticator(ORIGIN), SoftAuthenticator(ORIGIN)
    email, _, _ = await user_with_passkey(api, victim_key)
    await user_with_passkey(api, attacker_key)
    first = await password_step(api, email, STRONG_PASSWORD)
    options = await api.client.post("/v1/login/mfa/webauthn/options", json={"mfa_token": first["mfa_token"]})
    own = attacker_key.get(options.json()["publicKey"], credential=attacker_key.credentials[0])
    second = await api.client.post(
        "/v1/login/mfa", json={"mfa_token": first["mfa_token"], "method": "webauthn", "webauthn": own}
    )
    assert refusal(second) == (401, "passkey_unknown")


async def test_passwordless_sign_in_needs_user_verification(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    await user_with_passkey(api, authenticator)
    unverified = authenticator.get(await passwordless_options(api), user_verified=False)
    assert refusal(await sign_in_with(api, unverified)) == (401, "invalid_passkey")


@pytest.mark.threat("T-MFA-05")
async def test_removing_the_last_passkey_needs_a_recent_sign_in_and_the_passkey(api: RunningApp) -> None:
    """Attack: with a stolen, older session, remove the passkey so the password alone signs in."""
    authenticator = SoftAuthenticator(ORIGIN)
    email, tokens, passkey = await user_with_passkey(api, authenticator)
    path = f"/v1/me/passkeys/{passkey['id']}"
    bare = await api.client.request("DELETE", path, headers=bearer(tokens["access_token"]))
    assert refusal(bare) == (401, "invalid_mfa_code")

    api.clock.advance(11 * 60)
    refreshed = (await api.refresh(tokens["refresh_token"])).json()
    proof = await passkey_step_up(api, refreshed["access_token"], authenticator)
    late = await api.client.request("DELETE", path, json=proof, headers=bearer(refreshed["access_token"]))
    assert refusal(late) == (403, "reauthentication_required")

    fresh = await sign_in_with(api, authenticator.get(await passwordless_options(api)))
    access = fresh.json()["access_token"]
    proof = await passkey_step_up(api, access, authenticator)
    removed = await api.client.request("DELETE", path, json=proof, headers=bearer(access))
    assert removed.status_code == 200, removed.text
    assert "access_token" in await password_step(api, email, STRONG_PASSWORD)


async def test_rename_and_a_second_passkey_after_a_step_up(api: RunningApp) -> None:
    first_key, second_key = SoftAuthenticator(ORIGIN), SoftAuthenticator(ORIGIN)
    _, tokens, passkey = await user_with_passkey(api, first_key)
    headers = bearer(tokens["access_token"])
    renamed = await api.client.patch(
        f"/v1/me/passkeys/{passkey['id']}", json={"name": "Work laptop"}, headers=headers
    )
    assert renamed.json()["name"] == "Work laptop"
    unknown = await api.client.patch("/v1/me/passkeys/nope", json={"name": "x"}, headers=headers)
    assert refusal(unknown) == (404, "not_found")

    proof = await passkey_step_up(api, tokens["access_token"], first_key)
    await register_passkey(api, tokens["access_token"], second_key, proof=proof, name="Phone")
    names = [p["name"] for p in (await api.client.get("/v1/me/passkeys", headers=headers)).json()["passkeys"]]
    assert names == ["Work laptop", "Phone"]


async def test_a_password_reset_keeps_the_passkey(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    email, _, _ = await user_with_passkey(api, authenticator)
    assert (await api.client.post("/v1/password/forgot", json={"email": email})).status_code == 202
    token = latest_link_token(api, "password_reset", email)
    new_password = "another long passphrase here"
    reset = await api.client.post("/v1/password/reset", json={"token": token, "new_password": new_password})
    assert reset.status_code == 200, reset.text
    after = await password_step(api, email, new_password)
    assert after["methods"] == ["webauthn"]
    assert (await sign_in_with(api, authenticator.get(await passwordless_options(api)))).status_code == 200


async def test_the_new_sign_in_notice_names_the_passkey(api: RunningApp) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    email, _, _ = await user_with_passkey(api, authenticator)
    credential = authenticator.get(await passwordless_options(api))
    signed_in = await api.client.post(
        "/v1/login/passkey",
        json={"credential": credential},
        headers={"User-Agent": "Mozilla/5.0 (Macintosh) Safari/17.0"},
    )
    assert signed_in.status_code == 200, signed_in.text
    notice = body_of(outbox_messages(api, "new_sign_in_notice", email)[-1])
    assert "Signed in with: a passkey" in notice

"""The user's own data over HTTP: export (T-PRIV-01) and erasure (T-PRIV-02) with any second factor as the
current one, retention of audit fields."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import LargeBinary, Text, select
from sqlalchemy.types import JSON

from tests.harness import (
    STRONG_PASSWORD,
    TEST_ISSUER,
    RunningApp,
    bearer,
    make_settings,
    running_app,
)
from tests.mfa_support import (
    email_step_up,
    enrol_email_code,
    enrol_totp,
    passkey_step_up,
    register_passkey,
)
from tests.oidc_support import code_for, install_fake_browser, pkce_pair, register
from tests.webauthn_support import SoftAuthenticator
from tokenward.adapters.sql import SqlDataKeyRepository
from tokenward.adapters.sql.factors import SqlOtpRepository, SqlPasskeyRepository
from tokenward.adapters.sql.personal_data import NOT_EXPORTED, PERSONAL_TABLES, SqlUserDirectory
from tokenward.adapters.sql.tables import metadata
from tokenward.domain.accounts.privacy import OPERATOR
from tokenward.domain.context import RequestContext
from tokenward.domain.mfa.model import (
    Ceremony,
    Channel,
    CodePurpose,
    OtpChallenge,
    OtpFactor,
    Passkey,
    WebAuthnChallenge,
)
from tokenward.errors import TokenwardError


async def _signed_in(api: RunningApp) -> tuple[str, str, str]:
    email, tokens = await api.new_user()
    user_id = (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()["id"]
    return email, user_id, tokens["access_token"]


async def _second_factor_rows(api: RunningApp, user_id: str) -> None:
    """A passkey, an SMS factor, and one WebAuthn challenge and one code of each kind, stored directly."""
    database, now = api.container.database, api.clock.now()
    passkeys, codes = SqlPasskeyRepository(database), SqlOtpRepository(database)
    await passkeys.add_passkey(
        Passkey("cred-id", user_id, "handle", b"\xa5cose", 0, ("internal",), "Laptop", now)
    )
    await passkeys.add_webauthn_challenge(
        WebAuthnChallenge("c" * 64, Ceremony.STEP_UP, now, now + timedelta(minutes=5), user_id)
    )
    factor = OtpFactor("f1", user_id, Channel.SMS, "+16502530001", now)
    code = OtpChallenge(
        "o1",
        user_id,
        Channel.SMS,
        CodePurpose.ENROL,
        "+16502530001",
        "h" * 64,
        now,
        now + timedelta(minutes=5),
    )
    await codes.add_otp_challenge(code)
    await codes.add_otp_challenge(replace(code, id="o2", created_at=now + timedelta(seconds=1)))
    assert await codes.save_otp_factor(factor, "o2", now, 5)


async def _consent_and_code(api: RunningApp, access: str) -> None:
    """A remembered consent and an authorization code not yet redeemed, both about the user."""
    principal = await api.container.sessions.authenticate(access)
    install_fake_browser(api).sign_in(principal.user.id, principal.session.id, principal.session.auth_time)
    client = (await register(api, first_party=False)).client
    scopes = frozenset({"openid", "email"})
    await api.container.consents.grant(principal.user.id, client, scopes, RequestContext.internal())
    await code_for(api, client.id, pkce_pair()[1], scope="openid email")


def _user_tables() -> list[str]:
    return sorted(
        table.name for table in metadata.sorted_tables if table.name == "users" or "user_id" in table.columns
    )


def test_every_table_about_users_is_exported_or_says_why_not() -> None:
    """A new table with a user column, or a withheld column that does not exist, fails here."""
    for name in _user_tables():
        assert name in PERSONAL_TABLES or name in NOT_EXPORTED, f"{name} is neither exported nor exempted"
    for name, spec in PERSONAL_TABLES.items():
        columns = set(metadata.tables[name].columns.keys())
        assert spec.user_column in columns
        assert set(spec.withheld) <= columns, name


@pytest.mark.threat("T-PRIV-01")
async def test_export_needs_a_recent_sign_in(api: RunningApp) -> None:
    _, _, access = await _signed_in(api)
    api.clock.advance(api.settings.reauthentication_window + 1)

    response = await api.client.get("/v1/me/export", headers=bearer(access))

    assert response.status_code == 403
    assert response.json()["code"] == "recent_sign_in_required"
    assert await api.container.audit_log.list_events(event_type="personal_data_exported") == []


async def test_export_holds_every_table_about_the_user_and_no_secret(api: RunningApp) -> None:
    email, user_id, access = await _signed_in(api)
    await enrol_totp(api, access)
    await _second_factor_rows(api, user_id)
    pending = await api.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
    assert pending.json()["mfa_required"] is True or "mfa_token" in pending.json()
    await _consent_and_code(api, access)

    response = await api.client.get("/v1/me/export", headers=bearer(access))

    assert response.status_code == 200, response.text
    document = response.json()
    assert document["user"]["email"] == email
    for table in PERSONAL_TABLES:
        if table != "users":
            assert document["data"][table], f"no {table} rows in the export"
    events = document["data"]["audit_events"]
    assert events[0]["type"] == "signup"
    assert events[0]["ip"] == "203.0.113.7"
    assert all(e["user_id"] == user_id for e in events)
    text = json.dumps(document)
    for secret_column in (
        "password_hash",
        "token_hash",
        "code_hash",
        "encrypted_secret",
        "wrapped_key",
        "challenge_hash",
        "public_key",
    ):
        assert secret_column not in text
    assert "$argon2" not in text


async def _every_text_value(api: RunningApp) -> list[tuple[str, str, Any]]:
    """Every value of every text, JSON or binary column of every table."""
    found = []
    async with api.container.database.read() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, Text | JSON | LargeBinary) or "JSON" in type(column.type).__name__:
                    for value in (await conn.execute(select(column))).scalars():
                        found.append((table.name, column.name, value))
    return found


@pytest.mark.threat("T-PRIV-02")
async def test_erasure_needs_a_recent_sign_in_and_the_password(api: RunningApp) -> None:
    _, user_id, access = await _signed_in(api)

    wrong = await api.client.request(
        "DELETE", "/v1/me", json={"password": "not the password"}, headers=bearer(access)
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    api.clock.advance(api.settings.reauthentication_window + 1)
    stale = await api.client.request(
        "DELETE", "/v1/me", json={"password": STRONG_PASSWORD}, headers=bearer(access)
    )
    assert stale.status_code == 403
    assert stale.json()["code"] == "recent_sign_in_required"
    assert await api.container.users.get(user_id) is not None


async def test_erasure_leaves_no_trace_of_the_address_and_keeps_the_chain(api: RunningApp) -> None:
    email, user_id, access = await _signed_in(api)
    _, recovery_codes = await enrol_totp(api, access)

    without_code = await api.client.request(
        "DELETE", "/v1/me", json={"password": STRONG_PASSWORD}, headers=bearer(access)
    )
    assert without_code.status_code == 401  # MFA is on: a current code is required too
    assert without_code.json()["code"] == "invalid_mfa_code"

    erased = await api.client.request(
        "DELETE",
        "/v1/me",
        json={"password": STRONG_PASSWORD, "code": recovery_codes[0]},
        headers=bearer(access),
    )
    assert erased.status_code == 204, erased.text

    assert (await api.client.get("/v1/me", headers=bearer(access))).status_code == 401
    refused = await api.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
    assert refused.json()["code"] == "invalid_credentials"
    for table, column, value in await _every_text_value(api):
        text = value.decode("latin-1") if isinstance(value, bytes) else json.dumps(value)
        assert email not in text, f"{table}.{column} still holds the address"
    events = [e async for e in api.container.audit_log.every_event(user_id=user_id)]
    assert events
    assert all(e.personal in ("erased", "none") for e in events)
    assert all(e.event.ip is None for e in events)
    assert (await api.container.audit_log.verify()).ok


async def _erase(api: RunningApp, access: str, proof: dict[str, Any]) -> httpx.Response:
    body = {"password": STRONG_PASSWORD, **proof}
    return await api.client.request("DELETE", "/v1/me", json=body, headers=bearer(access))


def _refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def _assert_not_erased(api: RunningApp, user_id: str, access: str) -> None:
    assert await api.container.users.get(user_id) is not None
    assert (await api.client.get("/v1/me", headers=bearer(access))).status_code == 200
    assert await api.container.audit_log.list_events(event_type="account_erased", user_id=user_id) == []


async def _assert_erased(api: RunningApp, user_id: str, access: str) -> None:
    assert await api.container.users.get(user_id) is None
    assert (await api.client.get("/v1/me", headers=bearer(access))).status_code == 401


@pytest.mark.threat("T-PRIV-02")
async def test_a_passkey_only_user_erases_the_account_with_the_passkey(api: RunningApp) -> None:
    """Attack: a session thief erases the account with a passkey response of their own passkey (registered to
    another account), or with one of the owner's responses that was already used; both are refused and nothing
    is erased. A fresh response of the owner's passkey erases."""
    owner_key, thief_key = SoftAuthenticator(TEST_ISSUER), SoftAuthenticator(TEST_ISSUER)
    _, user_id, access = await _signed_in(api)
    await register_passkey(api, access, owner_key)
    _, _, thief_access = await _signed_in(api)
    await register_passkey(api, thief_access, thief_key)

    assert _refusal(await _erase(api, access, {})) == (401, "invalid_mfa_code")
    options = await api.client.post("/v1/me/mfa/webauthn/options", headers=bearer(access))
    foreign = thief_key.get(options.json()["publicKey"], credential=thief_key.credentials[0])
    refused = await _erase(api, access, {"method": "webauthn", "webauthn": foreign})
    assert _refusal(refused) == (401, "passkey_unknown")
    used = await passkey_step_up(api, access, owner_key)
    spent = await api.client.post("/v1/me/passkeys/registration/options", json=used, headers=bearer(access))
    assert spent.status_code == 200, spent.text
    assert _refusal(await _erase(api, access, used)) == (401, "passkey_challenge_invalid")
    await _assert_not_erased(api, user_id, access)

    erased = await _erase(api, access, await passkey_step_up(api, access, owner_key))
    assert erased.status_code == 204, erased.text
    await _assert_erased(api, user_id, access)


@pytest.mark.threat("T-PRIV-02")
async def test_an_e_mail_code_user_erases_the_account_with_a_mailed_code(api: RunningApp) -> None:
    """Attack: erase the account with a guessed code, or with a mailed code already used for another change;
    both are refused and nothing is erased. A wrong password does not use up the code. A fresh code erases."""
    email, user_id, access = await _signed_in(api)
    await enrol_email_code(api, access, email)

    assert _refusal(await _erase(api, access, {"code": "123456"})) == (401, "invalid_mfa_code")
    proof = await email_step_up(api, access, email)
    guessed = {**proof, "code": f"{(int(proof['code']) + 1) % 1_000_000:06d}"}
    assert _refusal(await _erase(api, access, guessed)) == (401, "invalid_mfa_code")
    wrong_password = await api.client.request(
        "DELETE", "/v1/me", json={"password": "not the password", **proof}, headers=bearer(access)
    )
    assert _refusal(wrong_password) == (401, "invalid_credentials")
    spent = await api.client.post("/v1/me/passkeys/registration/options", json=proof, headers=bearer(access))
    assert spent.status_code == 200, spent.text  # the code was still good after the wrong password
    assert _refusal(await _erase(api, access, proof)) == (401, "mfa_code_expired")
    await _assert_not_erased(api, user_id, access)

    api.clock.advance(61)  # past the per-minute limit on sending codes
    erased = await _erase(api, access, await email_step_up(api, access, email))
    assert erased.status_code == 204, erased.text
    await _assert_erased(api, user_id, access)


@pytest.mark.threat("T-PRIV-02")
async def test_a_replayed_totp_code_does_not_erase_and_code_alone_still_works(api: RunningApp) -> None:
    """Attack: erase with a TOTP code seen on the owner's screen, already accepted once (``code`` alone, the
    body's original form); refused as a replay. The next code erases."""
    _, user_id, access = await _signed_in(api)
    app, _ = await enrol_totp(api, access)

    assert _refusal(await _erase(api, access, {"code": app.code()})) == (401, "mfa_code_replayed")
    await _assert_not_erased(api, user_id, access)
    api.clock.advance(30)
    erased = await _erase(api, access, {"code": app.code()})
    assert erased.status_code == 204, erased.text
    await _assert_erased(api, user_id, access)


async def test_without_a_second_factor_an_empty_code_and_unknown_fields_are_ignored(api: RunningApp) -> None:
    """The body is as lenient as before it took every factor."""
    _, user_id, access = await _signed_in(api)
    erased = await _erase(api, access, {"code": "", "reason": "leaving"})
    assert erased.status_code == 204, erased.text
    await _assert_erased(api, user_id, access)


async def test_an_erasure_racing_a_sign_in_never_leaves_half_an_account(api: RunningApp) -> None:
    context = RequestContext(ip="198.51.100.1", user_agent="race/1")
    for _ in range(6):
        email, user_id, _ = await _signed_in(api)
        user = await api.container.users.get(user_id)
        assert user is not None

        async def sign_in(email: str = email) -> object:
            try:
                return await api.container.accounts.sign_in(email, STRONG_PASSWORD, context)
            except TokenwardError as refused:
                return refused

        await asyncio.gather(sign_in(), api.container.privacy.erase(user, context, OPERATOR), sign_in())

        assert await api.container.users.get(user_id) is None
        rows = await SqlUserDirectory(api.container.database).personal_rows(user_id)
        assert all(not found for found in rows.values()), rows
        key = await SqlDataKeyRepository(api.container.database).get(user_id)
        assert key is not None
        assert key.wrapped_key is None


async def test_retention_expires_personal_fields_of_old_audit_events(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path, audit_retention_days=30)) as api:
        _, user_id, _ = await _signed_in(api)
        api.clock.advance(31 * 24 * 3600)
        await api.client.post("/v1/login", json={"email": "nobody@example.com", "password": "x" * 12})

        await api.container.cleanup.run()

        events = [e async for e in api.container.audit_log.every_event()]
        old = [e for e in events if e.event.user_id == user_id]
        assert old
        assert all(e.personal == "expired" and e.event.ip is None for e in old)
        recent = [e for e in events if e.event.type == "login_failed"]
        assert [e.personal for e in recent] == ["present"]
        assert (await api.container.audit_log.verify()).ok

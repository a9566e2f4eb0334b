"""Account rules through HTTP: enumeration-safe answers, the password policy, password change, disabled users."""

from __future__ import annotations

import pytest

from tests.harness import STRONG_PASSWORD, RunningApp, bearer


@pytest.mark.threat("T-ACC-01")
async def test_sign_up_with_an_existing_email_gets_the_same_answer(api: RunningApp) -> None:
    """Attack: probe sign-up to learn which addresses have accounts."""
    first = await api.sign_up("taken@example.com")
    second = await api.sign_up("Taken@Example.com ", "another long passphrase here")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    outbox = list((api.settings.data_dir / "outbox").glob("*account_exists_notice*.eml"))
    assert len(outbox) == 1
    assert "taken@example.com" in outbox[0].read_text()
    # and the original password still works: the second sign-up changed nothing
    assert (
        await api.client.post("/v1/login", json={"email": "taken@example.com", "password": STRONG_PASSWORD})
    ).status_code == 200


@pytest.mark.threat("T-ACC-02")
async def test_unknown_email_and_wrong_password_get_identical_answers(api: RunningApp) -> None:
    """Attack: tell existing accounts from missing ones by the sign-in answer."""
    email, _ = await api.new_user()
    wrong = await api.client.post("/v1/login", json={"email": email, "password": "wrong password here"})
    unknown = await api.client.post(
        "/v1/login", json={"email": "nobody@example.com", "password": "wrong password here"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert dict(wrong.headers).keys() == dict(unknown.headers).keys()


@pytest.mark.threat("T-ACC-03")
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "must be at least 8 characters long"),
        ("password123", "commonly used"),
        ("tokenward-is-great", "service name"),
    ],
)
async def test_sign_up_rejects_weak_passwords_saying_why(api: RunningApp, password: str, reason: str) -> None:
    response = await api.sign_up("weak@example.com", password)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "password_rejected"
    assert any(reason in r for r in body["reasons"]), body["reasons"]
    assert password not in response.text


@pytest.mark.threat("T-ACC-03")
async def test_password_containing_the_email_local_part_is_rejected(api: RunningApp) -> None:
    response = await api.sign_up("margaret.hamilton@example.com", "hamilton-rocks-2024")
    assert response.status_code == 422
    assert any("e-mail" in r for r in response.json()["reasons"])


@pytest.mark.threat("T-ACC-04")
async def test_long_passphrase_is_accepted_in_full(api: RunningApp) -> None:
    """No truncation: a 64-character passphrase works, and the same passphrase cut short does not."""
    passphrase = "a very long passphrase that keeps going and going beyond 64 chars"
    assert len(passphrase) >= 64
    email, _ = await api.new_user(password=passphrase)
    cut = await api.client.post("/v1/login", json={"email": email, "password": passphrase[:-1]})
    assert cut.status_code == 401


@pytest.mark.threat("T-ACC-07")
async def test_password_change_needs_the_current_password_and_ends_other_sessions(api: RunningApp) -> None:
    email, first = await api.new_user()
    other = await api.login(email)
    refused = await api.client.post(
        "/v1/me/password",
        json={"current_password": "not my password", "new_password": "a brand new passphrase"},
        headers=bearer(first["access_token"]),
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credentials"

    changed = await api.client.post(
        "/v1/me/password",
        json={"current_password": STRONG_PASSWORD, "new_password": "a brand new passphrase"},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 200
    assert changed.json()["other_sessions_ended"] == 1
    assert (await api.client.get("/v1/me", headers=bearer(other["access_token"]))).status_code == 401
    assert (await api.refresh(other["refresh_token"])).status_code == 400
    assert (await api.client.get("/v1/me", headers=bearer(first["access_token"]))).status_code == 200
    old = await api.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
    assert old.status_code == 401
    await api.login(email, "a brand new passphrase")


@pytest.mark.threat("T-ACC-06")
async def test_disabled_account_cannot_sign_in_and_loses_its_sessions(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    await api.container.accounts.set_disabled(email, True)
    response = await api.client.post("/v1/login", json={"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"
    assert (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).status_code == 401
    # a wrong password for a disabled account says nothing about the account
    wrong = await api.client.post("/v1/login", json={"email": email, "password": "wrong password here"})
    assert wrong.json()["code"] == "invalid_credentials"
    await api.container.accounts.set_disabled(email, False)
    await api.login(email)


async def test_rehash_on_login_when_parameters_change(api: RunningApp) -> None:
    email, _ = await api.new_user()
    from tokenward.domain.accounts.passwords import Argon2Parameters, PasswordHasher

    user = await api.container.users.get_by_email(email)
    assert user is not None
    old_style = PasswordHasher(Argon2Parameters(memory_kib=32, time_cost=1, parallelism=1)).hash(
        STRONG_PASSWORD
    )
    await api.container.users.update(user.with_changes(password_hash=old_style))
    await api.login(email)
    after = await api.container.users.get_by_email(email)
    assert after is not None
    assert after.password_hash != old_style
    assert "m=64," in (after.password_hash or "")


async def test_invalid_email_is_a_clear_problem(api: RunningApp) -> None:
    response = await api.client.post(
        "/v1/signup", json={"email": "not-an-email", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert STRONG_PASSWORD not in response.text

"""AccountService on fakes: sign-up without enumeration, password sign-in, disabled accounts, rehashing."""

from __future__ import annotations

import pytest

from tests.unit.domain.world import CONTEXT, PASSWORD, World
from tokenward.domain.accounts.passwords import Argon2Parameters, PasswordHasher
from tokenward.domain.audit.events import AuditEventType
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import AccountDisabled, InvalidCredentials


@pytest.mark.threat("T-ACC-01")
async def test_sign_up_answers_the_same_for_a_new_and_a_taken_address(world: World) -> None:
    """Attack: sign up with someone's address to learn whether it has an account."""
    # the same answer: both return normally (the API turns that into one 202 body)
    await world.accounts.sign_up("alice@example.com", PASSWORD, CONTEXT)
    await world.accounts.sign_up(" ALICE@example.com", "another good passphrase", CONTEXT)

    alice = await world.users.get_by_email("alice@example.com")
    assert alice is not None
    assert world.hasher.verify(alice.password_hash or "", PASSWORD).ok  # the second sign-up changed nothing
    assert [m.kind for m in world.mailer.sent] == ["email_verification", "account_exists_notice"]
    assert {m.to for m in world.mailer.sent} == {"alice@example.com"}
    (signup,) = await world.events(AuditEventType.SIGNUP)
    (existing,) = await world.events(AuditEventType.SIGNUP_EXISTING_EMAIL)
    assert (signup.user_id, signup.ip) == (alice.id, CONTEXT.ip)
    assert (existing.user_id, existing.outcome) == (alice.id, "notice_sent")


@pytest.mark.threat("T-ACC-02")
async def test_a_wrong_password_and_an_unknown_address_get_one_answer(world: World) -> None:
    alice = await world.new_user("alice@example.com")

    with pytest.raises(InvalidCredentials) as wrong_password:
        await world.accounts.sign_in("alice@example.com", "not the password at all", CONTEXT)
    with pytest.raises(InvalidCredentials) as unknown:
        await world.accounts.sign_in("nobody@example.com", "not the password at all", CONTEXT)

    assert wrong_password.value.detail == unknown.value.detail
    assert await world.session_store.list_for_user(alice.id) == []
    failed = await world.events(AuditEventType.LOGIN_FAILED)
    assert [(e.user_id, dict(e.details)) for e in failed] == [
        (alice.id, {"reason": "invalid_credentials", "known_account": True}),
        (None, {"reason": "invalid_credentials", "known_account": False}),
    ]
    assert all(e.outcome == "failure" and e.ip == CONTEXT.ip for e in failed)


async def test_the_right_password_starts_a_session_and_is_recorded(world: World) -> None:
    alice = await world.new_user("alice@example.com")

    tokens = await world.accounts.sign_in("Alice@Example.com", PASSWORD, CONTEXT)

    assert isinstance(tokens, TokenPair)
    principal = await world.sessions.authenticate(tokens.access_token)
    assert (principal.user.id, principal.claims.amr) == (alice.id, ("pwd",))
    (succeeded,) = await world.events(AuditEventType.LOGIN_SUCCEEDED)
    assert (succeeded.session_id, dict(succeeded.details)) == (tokens.session_id, {"amr": ["pwd"]})


async def test_a_disabled_account_is_refused_only_after_the_right_password(world: World) -> None:
    alice = await world.new_user("alice@example.com", disabled=True)

    with pytest.raises(InvalidCredentials):
        await world.accounts.sign_in("alice@example.com", "not the password at all", CONTEXT)
    with pytest.raises(AccountDisabled):
        await world.accounts.sign_in("alice@example.com", PASSWORD, CONTEXT)

    assert await world.session_store.list_for_user(alice.id) == []
    reasons = [e.details["reason"] for e in await world.events(AuditEventType.LOGIN_FAILED)]
    assert reasons == ["invalid_credentials", "account_disabled"]


async def test_a_hash_with_old_parameters_is_replaced_at_sign_in(world: World) -> None:
    old_hash = PasswordHasher(Argon2Parameters(memory_kib=16, time_cost=2)).hash(PASSWORD)
    alice = await world.new_user("alice@example.com", password_hash=old_hash)

    assert isinstance(await world.accounts.sign_in("alice@example.com", PASSWORD, CONTEXT), TokenPair)

    stored = await world.users.get(alice.id)
    assert stored is not None
    assert stored.password_hash != old_hash
    assert world.hasher.verify(stored.password_hash or "", PASSWORD).needs_rehash is False
    (rehashed,) = await world.events(AuditEventType.PASSWORD_REHASHED)
    assert rehashed.user_id == alice.id
    # the next sign-in finds nothing to upgrade
    await world.accounts.sign_in("alice@example.com", PASSWORD, CONTEXT)
    assert len(await world.events(AuditEventType.PASSWORD_REHASHED)) == 1


async def test_sign_ins_the_database_could_not_answer_do_not_count_toward_the_back_off(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """During an outage every sign-in is answered 503 and tried no password: after the outage the owner
    signs in at once, however many such sign-ins there were."""
    await world.new_user()
    limit = world.throttle.policy.account_per_address[0].amount
    look_up = world.users.get_by_email

    async def database_down(email: str) -> None:
        raise ConnectionRefusedError("the database is not answering")

    monkeypatch.setattr(world.users, "get_by_email", database_down)
    for _ in range(limit + 1):
        with pytest.raises(ConnectionRefusedError):
            await world.accounts.sign_in("alice@example.com", PASSWORD, CONTEXT)
    monkeypatch.setattr(world.users, "get_by_email", look_up)

    assert isinstance(await world.accounts.sign_in("alice@example.com", PASSWORD, CONTEXT), TokenPair)

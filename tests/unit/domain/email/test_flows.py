"""The e-mailed flows on fakes: the password reset from "forgot" to the new password, and address verification."""

from __future__ import annotations

import pytest

from tests.unit.domain.world import CONTEXT, PASSWORD, World
from tokenward.domain.audit.events import AuditEventType
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidCredentials, InvalidGrant, InvalidOneTimeToken, PasswordRejected

EMAIL = "alice@example.com"
NEW_PASSWORD = "a brand new passphrase of hers"


@pytest.mark.threat("T-MFA-07")
async def test_a_reset_sets_the_password_ends_every_session_and_works_once(world: World) -> None:
    before, _ = await world.signed_in(EMAIL)
    await world.password_reset.forgot(EMAIL, CONTEXT)
    token = world.mailer.link_token("password_reset", EMAIL)

    assert await world.password_reset.reset(token, NEW_PASSWORD, CONTEXT) == 1

    with pytest.raises(InvalidGrant):
        await world.sessions.refresh(before.refresh_token, CONTEXT)
    with pytest.raises(InvalidCredentials):
        await world.accounts.sign_in(EMAIL, PASSWORD, CONTEXT)
    assert isinstance(await world.accounts.sign_in(EMAIL, NEW_PASSWORD, CONTEXT), TokenPair)
    with pytest.raises(InvalidOneTimeToken):
        await world.password_reset.reset(token, "yet another passphrase here", CONTEXT)
    alice = await world.users.get_by_email(EMAIL)
    assert alice is not None
    assert alice.email_verified  # the link proved control of the address
    (reset,) = await world.events(AuditEventType.PASSWORD_RESET)
    assert (reset.user_id, reset.ip, dict(reset.details)) == (alice.id, CONTEXT.ip, {"sessions_ended": 1})


@pytest.mark.threat("T-MFA-08")
async def test_forgot_for_an_unknown_address_sends_nothing_and_says_nothing(world: World) -> None:
    await world.password_reset.forgot("nobody@example.com", CONTEXT)

    assert world.mailer.sent == []
    (requested,) = await world.events(AuditEventType.PASSWORD_RESET_REQUESTED)
    assert (requested.user_id, dict(requested.details)) == (None, {"known_account": False})


async def test_a_refused_new_password_does_not_spend_the_link(world: World) -> None:
    await world.new_user(EMAIL)
    await world.password_reset.forgot(EMAIL, CONTEXT)
    token = world.mailer.link_token("password_reset", EMAIL)

    with pytest.raises(PasswordRejected):
        await world.password_reset.reset(token, "short", CONTEXT)

    assert await world.password_reset.reset(token, NEW_PASSWORD, CONTEXT) == 0


@pytest.mark.threat("T-MFA-07")
async def test_a_new_link_replaces_the_earlier_one(world: World) -> None:
    await world.new_user(EMAIL)
    await world.password_reset.forgot(EMAIL, CONTEXT)
    earlier = world.mailer.link_token("password_reset", EMAIL)
    world.clock.advance(60)
    await world.password_reset.forgot(EMAIL, CONTEXT)
    newer = world.mailer.link_token("password_reset", EMAIL)

    with pytest.raises(InvalidOneTimeToken):
        await world.password_reset.reset(earlier, NEW_PASSWORD, CONTEXT)
    assert await world.password_reset.reset(newer, NEW_PASSWORD, CONTEXT) == 0


@pytest.mark.threat("T-MFA-07")
async def test_a_link_past_its_lifetime_is_refused(world: World) -> None:
    await world.new_user(EMAIL)
    await world.password_reset.forgot(EMAIL, CONTEXT)
    token = world.mailer.link_token("password_reset", EMAIL)

    world.clock.advance(30 * 60)

    with pytest.raises(InvalidOneTimeToken):
        await world.password_reset.reset(token, NEW_PASSWORD, CONTEXT)


async def test_sign_up_sends_a_verification_link_that_verifies_the_address_once(world: World) -> None:
    await world.accounts.sign_up(EMAIL, PASSWORD, CONTEXT)
    token = world.mailer.link_token("email_verification", EMAIL)

    await world.verification.verify(token, CONTEXT)

    alice = await world.users.get_by_email(EMAIL)
    assert alice is not None
    assert alice.email_verified
    with pytest.raises(InvalidOneTimeToken):
        await world.verification.verify(token, CONTEXT)
    assert [e.user_id for e in await world.events(AuditEventType.EMAIL_VERIFIED)] == [alice.id]

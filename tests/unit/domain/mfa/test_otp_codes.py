"""One-time codes on fakes: stored only as hashes, nothing stored when delivery fails, five wrong tries end a
code, a new code voids the old one, and sends are limited per account and per destination."""

from __future__ import annotations

import re

import pytest

from tests.unit.domain.world import CONTEXT, World
from tokenward.domain.mfa.model import Channel, CodePurpose
from tokenward.errors import CodeSendLimited, InvalidMfaCode, MfaCodeExpired, SmsUnavailable

NUMBER = "+16502530001"


def texted_code(world: World) -> str:
    match = re.search(r"\b(\d{6})\b", world.sms.sent[-1].body)
    assert match
    return match.group(1)


async def test_a_code_is_stored_only_as_a_hash(world: World) -> None:
    await world.otp.send("u1", Channel.SMS, CodePurpose.ENROL, NUMBER, CONTEXT)
    code = texted_code(world)
    [stored] = world.code_store.stored()
    assert code not in repr(stored)
    assert stored.code_hash != code
    assert stored.expires_at == world.clock.now() + world.otp.settings.code_lifetime
    events = await world.events()
    assert code not in repr([e.details for e in events])
    assert [e.details["to"] for e in events if e.type == "mfa_code_sent"] == ["+16•••••••01"]


async def test_a_failed_delivery_stores_nothing(world: World) -> None:
    world.sms.failing = True
    with pytest.raises(SmsUnavailable):
        await world.otp.send("u1", Channel.SMS, CodePurpose.ENROL, NUMBER, CONTEXT)
    assert world.code_store.stored() == []
    assert await world.code_store.otp_factors_of("u1") == []


async def test_five_wrong_tries_end_the_code(world: World) -> None:
    await world.otp.send("u1", Channel.SMS, CodePurpose.STEP_UP, NUMBER, CONTEXT)
    right = texted_code(world)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(InvalidMfaCode):
            await world.otp.use("u1", Channel.SMS, CodePurpose.STEP_UP, wrong, CONTEXT)
    with pytest.raises(MfaCodeExpired):
        await world.otp.use("u1", Channel.SMS, CodePurpose.STEP_UP, right, CONTEXT)


async def test_a_new_code_voids_the_old_one_and_each_works_once(world: World) -> None:
    await world.otp.send("u1", Channel.SMS, CodePurpose.STEP_UP, NUMBER, CONTEXT)
    old = texted_code(world)
    world.clock.advance(61)  # past the per-minute send limit
    await world.otp.send("u1", Channel.SMS, CodePurpose.STEP_UP, NUMBER, CONTEXT)
    new = texted_code(world)
    if old != new:
        with pytest.raises(InvalidMfaCode):
            await world.otp.use("u1", Channel.SMS, CodePurpose.STEP_UP, old, CONTEXT)
    assert await world.otp.use("u1", Channel.SMS, CodePurpose.STEP_UP, new, CONTEXT) == "sms"
    with pytest.raises(MfaCodeExpired):
        await world.otp.use("u1", Channel.SMS, CodePurpose.STEP_UP, new, CONTEXT)


async def test_an_enrolment_code_stores_the_proven_destination(world: World) -> None:
    await world.otp.send("u1", Channel.SMS, CodePurpose.ENROL, NUMBER, CONTEXT)
    factor = await world.otp.enrol("u1", Channel.SMS, texted_code(world), CONTEXT)
    assert (factor.channel, factor.destination) == (Channel.SMS, NUMBER)
    assert [f.destination for f in await world.otp.factors("u1")] == [NUMBER]


async def test_sends_are_limited_per_account_and_per_destination_until_the_window_passes(
    world: World,
) -> None:
    for _ in range(3):
        await world.otp.send("u1", Channel.SMS, CodePurpose.ENROL, NUMBER, CONTEXT)
    with pytest.raises(CodeSendLimited) as limited:
        await world.otp.send("u1", Channel.SMS, CodePurpose.ENROL, "+16502530002", CONTEXT)
    assert 0 < limited.value.retry_after <= 60
    with pytest.raises(CodeSendLimited):
        await world.otp.send("u2", Channel.SMS, CodePurpose.ENROL, NUMBER, CONTEXT)
    assert len(world.sms.sent) == 3
    assert [e.outcome for e in await world.events("mfa_code_send_limited")] == ["refused", "refused"]
    world.clock.advance(61)
    await world.otp.send("u2", Channel.SMS, CodePurpose.ENROL, NUMBER, CONTEXT)
    assert len(world.sms.sent) == 4

"""MfaService on fakes: the second sign-in step with a TOTP or a recovery code, wrong codes and replays, and
the current-factor check that changes of the factors and erasure ask for."""

from __future__ import annotations

import pyotp
import pytest

from tests.unit.domain.world import CONTEXT, PASSWORD, World
from tokenward.domain.accounts.service import MfaRequired
from tokenward.domain.audit.events import AuditEventType
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidMfaCode, InvalidMfaToken, MfaCodeReplayed

EMAIL = "alice@example.com"
STEP_SECONDS = 30


class Enrolled:
    """Alice with TOTP on: her authenticator app and her recovery codes."""

    def __init__(self, world: World, secret: str, recovery_codes: list[str]) -> None:
        self.world = world
        self.app = pyotp.TOTP(secret)
        self.recovery_codes = recovery_codes

    def code(self) -> str:
        return self.app.at(self.world.clock.now())

    def wrong_code(self) -> str:
        """Six digits that no step of the accepted window (±1) gives."""
        accepted = {self.app.at(self.world.clock.now(), counter_offset=offset) for offset in (-1, 0, 1)}
        return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)

    async def password_step(self) -> str:
        answer = await self.world.accounts.sign_in(EMAIL, PASSWORD, CONTEXT)
        assert isinstance(answer, MfaRequired)
        return answer.mfa_token


@pytest.fixture
async def alice(world: World) -> Enrolled:
    _, principal = await world.signed_in(EMAIL)
    enrolment = await world.mfa.start_enrolment(principal, None, CONTEXT)
    codes = await world.mfa.confirm_enrolment(
        principal, pyotp.TOTP(enrolment.secret).at(world.clock.now()), CONTEXT
    )
    world.clock.advance(STEP_SECONDS)  # the confirming code's step is used up
    return Enrolled(world, enrolment.secret, codes)


async def amr_of(world: World, tokens: TokenPair) -> tuple[str, ...]:
    return (await world.sessions.authenticate(tokens.access_token)).claims.amr


async def test_the_password_alone_gives_only_an_mfa_token(world: World, alice: Enrolled) -> None:
    answer = await world.accounts.sign_in(EMAIL, PASSWORD, CONTEXT)

    assert isinstance(answer, MfaRequired)
    assert answer.mfa_token.startswith("twm_")
    assert answer.methods == ("totp", "recovery_code")


async def test_a_current_totp_code_completes_the_sign_in(world: World, alice: Enrolled) -> None:
    tokens = await world.accounts.sign_in_mfa(await alice.password_step(), alice.code(), CONTEXT)

    assert await amr_of(world, tokens) == ("pwd", "otp")
    (succeeded,) = [
        e for e in await world.events(AuditEventType.LOGIN_SUCCEEDED) if e.session_id == tokens.session_id
    ]
    assert succeeded.details["amr"] == ["pwd", "otp"]


async def test_a_recovery_code_completes_the_sign_in_once(world: World, alice: Enrolled) -> None:
    code = alice.recovery_codes[0]

    tokens = await world.accounts.sign_in_mfa(await alice.password_step(), code, CONTEXT)

    assert await amr_of(world, tokens) == ("pwd", "rc")
    (used,) = await world.events(AuditEventType.RECOVERY_CODE_USED)
    assert (used.details["remaining"], used.ip) == (len(alice.recovery_codes) - 1, CONTEXT.ip)
    with pytest.raises(InvalidMfaCode):
        await world.accounts.sign_in_mfa(await alice.password_step(), code, CONTEXT)


@pytest.mark.threat("T-MFA-03")
async def test_wrong_codes_are_refused_and_spend_the_mfa_token(world: World, alice: Enrolled) -> None:
    """Attack: guess codes against one MFA token; after five wrong ones even the right code is refused."""
    mfa_token = await alice.password_step()
    for wrong in (alice.wrong_code(), "not-a-code", "AAAA-BBBB-CCCC", alice.wrong_code(), "0"):
        with pytest.raises(InvalidMfaCode):
            await world.accounts.sign_in_mfa(mfa_token, wrong, CONTEXT)

    with pytest.raises(InvalidMfaToken):
        await world.accounts.sign_in_mfa(mfa_token, alice.code(), CONTEXT)

    failed = await world.events(AuditEventType.MFA_CODE_FAILED)
    assert len(failed) == 5
    assert all((e.outcome, e.ip) == ("failure", CONTEXT.ip) for e in failed)
    assert (
        len(await world.events(AuditEventType.LOGIN_SUCCEEDED)) == 1
    )  # the password sign-in before enrolling


@pytest.mark.threat("T-MFA-02")
async def test_a_totp_code_signs_in_once(world: World, alice: Enrolled) -> None:
    """Attack: replay a code seen over a shoulder (or in a log) within its 30 seconds."""
    code = alice.code()
    await world.accounts.sign_in_mfa(await alice.password_step(), code, CONTEXT)

    second_try = await alice.password_step()
    with pytest.raises(MfaCodeReplayed):
        await world.accounts.sign_in_mfa(second_try, code, CONTEXT)

    (replayed,) = await world.events(AuditEventType.MFA_CODE_REPLAYED)
    assert replayed.outcome == "refused"
    world.clock.advance(STEP_SECONDS)
    tokens = await world.accounts.sign_in_mfa(
        second_try, alice.code(), CONTEXT
    )  # one failure does not end it
    assert await amr_of(world, tokens) == ("pwd", "otp")


async def test_an_mfa_token_works_once(world: World, alice: Enrolled) -> None:
    mfa_token = await alice.password_step()
    await world.accounts.sign_in_mfa(mfa_token, alice.code(), CONTEXT)
    world.clock.advance(STEP_SECONDS)

    with pytest.raises(InvalidMfaToken):
        await world.accounts.sign_in_mfa(mfa_token, alice.code(), CONTEXT)


async def test_a_current_factor_is_asked_only_while_one_is_set_up(world: World) -> None:
    """``require_current_factor``, the step-up of factor changes and of erasure: without a factor the proof is
    not looked at; with one, no proof, a wrong one and a replayed one are refused and a current one passes."""
    _, principal = await world.signed_in(EMAIL)
    user = principal.user
    await world.mfa.require_current_factor(user, None, CONTEXT)
    await world.mfa.require_current_factor(user, "not even a code", CONTEXT)

    enrolment = await world.mfa.start_enrolment(principal, None, CONTEXT)
    app = pyotp.TOTP(enrolment.secret)
    await world.mfa.confirm_enrolment(principal, app.at(world.clock.now()), CONTEXT)
    with pytest.raises(InvalidMfaCode, match="A current second factor"):
        await world.mfa.require_current_factor(user, None, CONTEXT)
    with pytest.raises(MfaCodeReplayed):  # the confirming code's step is spent
        await world.mfa.require_current_factor(user, app.at(world.clock.now()), CONTEXT)
    world.clock.advance(STEP_SECONDS)
    await world.mfa.require_current_factor(user, app.at(world.clock.now()), CONTEXT)

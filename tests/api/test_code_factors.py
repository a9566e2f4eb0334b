"""SMS and e-mail one-time codes through HTTP: enrolment only after a code proves the destination, the second
step of a sign-in, step-up, brute force, resend limits, and a gateway that fails. Text messages go to a local
gateway (tests/sms_support.py) that checks the webhook's HMAC signature."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.harness import STRONG_PASSWORD, RunningApp, bearer, make_settings, running_app
from tests.mfa_support import claims_of, enrol_totp, latest_mailed_code, password_step
from tests.sms_support import SmsGateway, sms_gateway
from tokenward.adapters.sql.factors import SqlOtpRepository
from tokenward.domain.clock import FrozenClock
from tokenward.domain.mfa.model import Channel, CodePurpose

#: as the operator writes it in TOKENWARD_SMS_WEBHOOK_SECRET; the HMAC key is its UTF-8 bytes
SECRET = secrets.token_hex(32)
_numbers = itertools.count(1)


def new_number() -> tuple[str, str]:
    """A fresh valid number per test (limits are counted per number): as typed, and in E.164."""
    n = next(_numbers)
    return f"+1 650-253-{n:04d}", f"+1650253{n:04d}"


@pytest.fixture(scope="module")
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="module")
def gateway(clock: FrozenClock) -> Iterator[SmsGateway]:
    with sms_gateway(SECRET.encode(), clock.now) as running:
        yield running


@pytest.fixture(scope="module")
async def api(
    tmp_path_factory: pytest.TempPathFactory, gateway: SmsGateway, clock: FrozenClock
) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("codes"),
        sms_enabled=True,
        sms_webhook_url=gateway.url,
        sms_webhook_secret=SECRET,
        sms_webhook_retries=1,
    )
    async with running_app(settings, clock) as running:
        yield running


@pytest.fixture(autouse=True)
def _working_gateway(gateway: SmsGateway) -> None:
    gateway.failing_with = None


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def enrol_sms(api: RunningApp, gateway: SmsGateway, access_token: str, typed: str, e164: str) -> None:
    started = await api.client.post("/v1/me/mfa/sms", json={"phone": typed}, headers=bearer(access_token))
    assert started.status_code == 202, started.text
    assert started.json()["sent_to"] == f"{e164[:3]}{'•' * (len(e164) - 5)}{e164[-2:]}"
    confirmed = await api.client.post(
        "/v1/me/mfa/sms/confirm", json={"code": gateway.latest_code(e164)}, headers=bearer(access_token)
    )
    assert confirmed.status_code == 200, confirmed.text


async def second_step(api: RunningApp, mfa_token: str, method: str, code: str) -> httpx.Response:
    return await api.client.post(
        "/v1/login/mfa", json={"mfa_token": mfa_token, "method": method, "code": code}
    )


async def test_sms_enrolment_and_sign_in_through_the_signed_webhook(
    api: RunningApp, gateway: SmsGateway
) -> None:
    email, tokens = await api.new_user()
    typed, e164 = new_number()
    await enrol_sms(api, gateway, tokens["access_token"], typed, e164)
    assert gateway.refused == 0
    listed = (await api.client.get("/v1/me/mfa", headers=bearer(tokens["access_token"]))).json()
    assert listed["methods"] == ["sms"]
    assert listed["codes"][0]["destination"].endswith(e164[-2:])

    first = await password_step(api, email, STRONG_PASSWORD)
    assert first["methods"] == ["sms"]
    sent = await api.client.post(
        "/v1/login/mfa/code", json={"mfa_token": first["mfa_token"], "method": "sms"}
    )
    assert sent.status_code == 202, sent.text
    signed_in = await second_step(api, first["mfa_token"], "sms", gateway.latest_code(e164))
    assert signed_in.status_code == 200, signed_in.text
    assert claims_of(signed_in.json()["access_token"])["amr"] == ["pwd", "sms"]


async def test_e_mail_codes_use_the_mailer(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    started = await api.client.post("/v1/me/mfa/email", headers=bearer(tokens["access_token"]))
    assert started.status_code == 202, started.text
    code = latest_mailed_code(api, email)
    confirmed = await api.client.post(
        "/v1/me/mfa/email/confirm", json={"code": code}, headers=bearer(tokens["access_token"])
    )
    assert confirmed.json() == {"status": "factor_added", "method": "email", "destination": email}

    first = await password_step(api, email, STRONG_PASSWORD)
    assert first["methods"] == ["email"]
    await api.client.post("/v1/login/mfa/code", json={"mfa_token": first["mfa_token"], "method": "email"})
    code = latest_mailed_code(api, email)
    signed_in = await second_step(api, first["mfa_token"], "email", code)
    assert claims_of(signed_in.json()["access_token"])["amr"] == ["pwd", "otp"]
    # single use: the same code again, on a fresh sign-in, finds no live code
    again = await password_step(api, email, STRONG_PASSWORD)
    assert refusal(await second_step(api, again["mfa_token"], "email", code)) == (401, "mfa_code_expired")


async def test_a_number_is_enrolled_only_after_its_code_comes_back(
    api: RunningApp, gateway: SmsGateway
) -> None:
    email, tokens = await api.new_user()
    typed, e164 = new_number()
    headers = bearer(tokens["access_token"])
    assert (
        await api.client.post("/v1/me/mfa/sms", json={"phone": typed}, headers=headers)
    ).status_code == 202
    wrong = "000000" if gateway.latest_code(e164) != "000000" else "111111"
    assert refusal(
        await api.client.post("/v1/me/mfa/sms/confirm", json={"code": wrong}, headers=headers)
    ) == (
        401,
        "invalid_mfa_code",
    )
    assert (await api.client.get("/v1/me/mfa", headers=headers)).json()["codes"] == []
    assert "access_token" in await password_step(api, email, STRONG_PASSWORD)

    for bad in ("650 253 0000", "+1 555 0100", "not a number"):
        response = await api.client.post("/v1/me/mfa/sms", json={"phone": bad}, headers=headers)
        assert refusal(response) == (400, "invalid_request")


@pytest.mark.threat("T-FAC-06")
async def test_five_wrong_codes_end_the_code(api: RunningApp, gateway: SmsGateway) -> None:
    """Attack: guess the six digits of a texted code."""
    email, tokens = await api.new_user()
    typed, e164 = new_number()
    await enrol_sms(api, gateway, tokens["access_token"], typed, e164)
    first = await password_step(api, email, STRONG_PASSWORD)
    await api.client.post("/v1/login/mfa/code", json={"mfa_token": first["mfa_token"], "method": "sms"})
    right = gateway.latest_code(e164)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert refusal(await second_step(api, first["mfa_token"], "sms", wrong)) == (401, "invalid_mfa_code")
    # the fifth wrong try ends this code (and, as for every second step, the MFA token)
    assert refusal(await second_step(api, first["mfa_token"], "sms", wrong)) == (401, "invalid_mfa_code")
    assert refusal(await second_step(api, first["mfa_token"], "sms", right)) == (401, "invalid_mfa_token")

    again = await password_step(api, email, STRONG_PASSWORD)
    assert refusal(await second_step(api, again["mfa_token"], "sms", right)) == (401, "mfa_code_expired")


@pytest.mark.threat("T-FAC-06")
async def test_a_code_expires_after_five_minutes_and_belongs_to_its_sign_in(
    api: RunningApp, gateway: SmsGateway
) -> None:
    email, tokens = await api.new_user()
    typed, e164 = new_number()
    await enrol_sms(api, gateway, tokens["access_token"], typed, e164)
    first = await password_step(api, email, STRONG_PASSWORD)
    await api.client.post("/v1/login/mfa/code", json={"mfa_token": first["mfa_token"], "method": "sms"})
    code = gateway.latest_code(e164)
    other = await password_step(api, email, STRONG_PASSWORD)
    assert refusal(await second_step(api, other["mfa_token"], "sms", code)) == (401, "mfa_code_expired")
    # a step-up code, five minutes and a second later
    headers = bearer(tokens["access_token"])
    assert (
        await api.client.post("/v1/me/mfa/code", json={"method": "sms"}, headers=headers)
    ).status_code == 202
    api.clock.advance(301)
    proof = {"method": "sms", "code": gateway.latest_code(e164)}
    late = await api.client.request("DELETE", "/v1/me/mfa/sms", json=proof, headers=headers)
    assert refusal(late) == (401, "mfa_code_expired")


@pytest.mark.threat("T-FAC-04")
async def test_resends_are_limited_per_account_and_per_number(api: RunningApp, gateway: SmsGateway) -> None:
    """Attack: SMS pumping, making the server text (premium) numbers again and again."""
    _, tokens = await api.new_user()
    typed, e164 = new_number()
    headers = bearer(tokens["access_token"])
    statuses = [
        (await api.client.post("/v1/me/mfa/sms", json={"phone": typed}, headers=headers)).status_code
        for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]
    assert len(gateway.codes_to(e164)) == 3

    # another account cannot keep texting the same number either
    _, other = await api.new_user()
    limited = await api.client.post(
        "/v1/me/mfa/sms", json={"phone": typed}, headers=bearer(other["access_token"])
    )
    assert refusal(limited) == (429, "code_send_limited")
    assert "retry-after" in limited.headers
    assert len(gateway.codes_to(e164)) == 3


async def test_a_gateway_that_fails_gives_503_and_enrols_nothing(
    api: RunningApp, gateway: SmsGateway
) -> None:
    email, tokens = await api.new_user()
    typed, e164 = new_number()
    gateway.failing_with = 502
    before = gateway.received
    response = await api.client.post(
        "/v1/me/mfa/sms", json={"phone": typed}, headers=bearer(tokens["access_token"])
    )
    assert refusal(response) == (503, "sms_unavailable")
    assert "retry-after" in response.headers
    assert gateway.received - before == 2  # the first try and one retry (TOKENWARD_SMS_WEBHOOK_RETRIES=1)
    assert gateway.codes_to(e164) == []
    me = (await api.client.get("/v1/me/mfa", headers=bearer(tokens["access_token"]))).json()
    assert me["codes"] == []
    user_id = (await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()["id"]
    stored = SqlOtpRepository(api.container.database)
    assert (
        await stored.live_otp_challenge(user_id, Channel.SMS, CodePurpose.ENROL, None, api.clock.now())
        is None
    )
    assert "access_token" in await password_step(api, email, STRONG_PASSWORD)


@pytest.mark.threat("T-FAC-05", "T-MFA-05")
async def test_changing_code_factors_needs_a_current_factor(api: RunningApp, gateway: SmsGateway) -> None:
    """Adding an e-mail factor next to SMS, or removing SMS, needs a current factor (here an SMS step-up)."""
    _, tokens = await api.new_user()
    typed, e164 = new_number()
    headers = bearer(tokens["access_token"])
    await enrol_sms(api, gateway, tokens["access_token"], typed, e164)
    assert refusal(await api.client.post("/v1/me/mfa/email", headers=headers)) == (401, "invalid_mfa_code")
    assert refusal(await api.client.request("DELETE", "/v1/me/mfa/sms", headers=headers)) == (
        401,
        "invalid_mfa_code",
    )

    assert (
        await api.client.post("/v1/me/mfa/code", json={"method": "sms"}, headers=headers)
    ).status_code == 202
    proof: dict[str, Any] = {"method": "sms", "code": gateway.latest_code(e164)}
    removed = await api.client.request("DELETE", "/v1/me/mfa/sms", json=proof, headers=headers)
    assert removed.status_code == 200, removed.text
    assert (await api.client.get("/v1/me/mfa", headers=headers)).json()["methods"] == []


async def test_a_totp_user_adds_sms_with_a_totp_code(api: RunningApp, gateway: SmsGateway) -> None:
    email, tokens = await api.new_user()
    app, _ = await enrol_totp(api, tokens["access_token"])
    api.clock.advance(30)
    typed, e164 = new_number()
    started = await api.client.post(
        "/v1/me/mfa/sms", json={"phone": typed, "code": app.code()}, headers=bearer(tokens["access_token"])
    )
    assert started.status_code == 202, started.text
    await api.client.post(
        "/v1/me/mfa/sms/confirm",
        json={"code": gateway.latest_code(e164)},
        headers=bearer(tokens["access_token"]),
    )
    first = await password_step(api, email, STRONG_PASSWORD)
    assert first["methods"] == ["totp", "recovery_code", "sms"]


@pytest.mark.threat("T-FAC-05")
async def test_sms_is_off_unless_the_operator_turns_it_on(tmp_path_factory: pytest.TempPathFactory) -> None:
    async with running_app(make_settings(tmp_path_factory.mktemp("no-sms"))) as api:
        _, tokens = await api.new_user()
        typed, _ = new_number()
        response = await api.client.post(
            "/v1/me/mfa/sms", json={"phone": typed}, headers=bearer(tokens["access_token"])
        )
        assert refusal(response) == (403, "mfa_method_unavailable")

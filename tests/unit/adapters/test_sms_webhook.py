"""The SMS webhook sender: the signature a gateway checks, bounded retries with one message id, and a clear
``SmsUnavailable`` when the gateway does not take the message. No network and no sleeping: httpx's mock
transport answers and the back-off is recorded instead of slept."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest

from tokenward.adapters.sms import OutboxSmsSender, WebhookSettings, WebhookSmsSender
from tokenward.domain.clock import FrozenClock
from tokenward.domain.mfa.sms import SmsMessage
from tokenward.errors import SmsUnavailable

SECRET = b"shared secret of the operator"
MESSAGE = SmsMessage(to="+16502530001", body="123456 is your code", kind="mfa_code")


class Gateway:
    """Answers each request with the next status (or raises the next exception) and keeps the requests."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)


def sender(gateway: Gateway, sleeps: list[float], retries: int = 2) -> WebhookSmsSender:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return WebhookSmsSender(
        WebhookSettings(url="https://sms.example.test/send", secret=SECRET, retries=retries),
        FrozenClock(),
        transport=httpx.MockTransport(gateway),
        sleep=sleep,
    )


async def test_the_body_is_signed_over_timestamp_and_body() -> None:
    gateway, sleeps = Gateway(200), list[float]()
    await sender(gateway, sleeps).send(MESSAGE)
    request = gateway.requests[0]
    timestamp = request.headers["X-Tokenward-Timestamp"]
    assert timestamp == str(int(FrozenClock().now().timestamp()))
    expected = hmac.new(SECRET, timestamp.encode() + b"." + request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Tokenward-Signature"] == f"v1={expected}"
    assert json.loads(request.content) | {"id": "x"} == {
        "id": "x",
        "to": MESSAGE.to,
        "kind": "mfa_code",
        "body": MESSAGE.body,
    }
    assert sleeps == []


async def test_server_errors_timeouts_and_429_are_retried_with_the_same_id() -> None:
    gateway, sleeps = Gateway(503, httpx.ReadTimeout("slow"), 200), list[float]()
    await sender(gateway, sleeps).send(MESSAGE)
    assert len(gateway.requests) == 3
    assert len({json.loads(r.content)["id"] for r in gateway.requests}) == 1
    assert sleeps == [0.25, 0.5]

    gateway = Gateway(429, 200)
    await sender(gateway, []).send(MESSAGE)
    assert len(gateway.requests) == 2


async def test_retries_are_bounded_then_the_send_fails_clearly() -> None:
    gateway, sleeps = Gateway(httpx.ConnectError("refused"), 500, 502, 200), list[float]()
    with pytest.raises(SmsUnavailable) as refused:
        await sender(gateway, sleeps, retries=2).send(MESSAGE)
    assert len(gateway.requests) == 3
    assert (refused.value.status, refused.value.code) == (503, "sms_unavailable")
    assert refused.value.headers()["Retry-After"] == "30"


async def test_a_refusal_by_the_gateway_is_final() -> None:
    gateway = Gateway(400, 200)
    with pytest.raises(SmsUnavailable):
        await sender(gateway, []).send(MESSAGE)
    assert len(gateway.requests) == 1


async def test_the_settings_never_show_the_secret() -> None:
    assert "shared secret" not in repr(WebhookSettings(url="https://x.test", secret=SECRET))
    assert "123456" not in repr(MESSAGE)


async def test_the_development_outbox_writes_each_message(tmp_path: Path) -> None:
    await OutboxSmsSender(tmp_path / "sms", FrozenClock()).send(MESSAGE)
    [written] = list((tmp_path / "sms").glob("*-mfa_code-*.json"))
    assert json.loads(written.read_text()) == {"to": MESSAGE.to, "kind": "mfa_code", "body": MESSAGE.body}

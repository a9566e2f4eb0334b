"""Helpers for MFA and e-mail tests: an authenticator app (pyotp), the outbox the embedded mailer writes, and
the API calls that set up and prove the other factors (an e-mail code factor, a passkey)."""

from __future__ import annotations

import email
import re
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp

from tests.harness import RunningApp, bearer
from tests.sms_support import CODE
from tests.webauthn_support import SoftAuthenticator

LINK_TOKEN = re.compile(r"#token=(tw[a-z]_[A-Za-z0-9_-]{43})")


def outbox_messages(api: RunningApp, kind: str, to: str) -> list[Message]:
    """Every message of ``kind`` to ``to`` in the outbox, oldest first."""
    folder = api.settings.data_dir / "outbox"
    found = []
    for path in sorted(folder.glob(f"*-{kind}-*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(Path(path).read_bytes())
        if message["To"] == to:
            found.append(message)
    return found


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def latest_link_token(api: RunningApp, kind: str, to: str) -> str:
    messages = outbox_messages(api, kind, to)
    assert messages, f"no {kind} e-mail to {to}"
    match = LINK_TOKEN.search(body_of(messages[-1]))
    assert match, "no link with a token in the e-mail"
    return match.group(1)


class Authenticator:
    """The user's TOTP app: codes for the app's frozen clock."""

    def __init__(self, api: RunningApp, secret: str) -> None:
        self.api = api
        self.totp = pyotp.TOTP(secret)

    def code(self, offset_steps: int = 0) -> str:
        return self.totp.at(self.api.clock.now(), counter_offset=offset_steps)


async def enrol_totp(api: RunningApp, access_token: str) -> tuple[Authenticator, list[str]]:
    """Enrol and confirm TOTP for the signed-in user; return the app and the recovery codes."""
    started = await api.client.post("/v1/me/mfa/totp", headers=bearer(access_token))
    assert started.status_code == 201, started.text
    app = Authenticator(api, started.json()["secret"])
    confirmed = await api.client.post(
        "/v1/me/mfa/totp/confirm", json={"code": app.code()}, headers=bearer(access_token)
    )
    assert confirmed.status_code == 200, confirmed.text
    return app, confirmed.json()["recovery_codes"]


async def password_step(api: RunningApp, email_address: str, password: str) -> dict[str, Any]:
    response = await api.client.post("/v1/login", json={"email": email_address, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def claims_of(access_token: str) -> dict[str, Any]:
    import base64
    import json

    payload = access_token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def latest_mailed_code(api: RunningApp, email_address: str) -> str:
    """The one-time code of the newest ``mfa_code`` e-mail to the address."""
    messages = outbox_messages(api, "mfa_code", email_address)
    assert messages, f"no code e-mailed to {email_address}"
    match = CODE.search(body_of(messages[-1]))
    assert match
    return match.group(1)


async def enrol_email_code(
    api: RunningApp, access_token: str, email_address: str, *, proof: dict[str, Any] | None = None
) -> None:
    """Turn on codes by e-mail (``proof``: a current factor, if the user has one)."""
    started = await api.client.post("/v1/me/mfa/email", json=proof, headers=bearer(access_token))
    assert started.status_code == 202, started.text
    confirmed = await api.client.post(
        "/v1/me/mfa/email/confirm",
        json={"code": latest_mailed_code(api, email_address)},
        headers=bearer(access_token),
    )
    assert confirmed.status_code == 200, confirmed.text


async def email_step_up(api: RunningApp, access_token: str, email_address: str) -> dict[str, Any]:
    """A code by e-mail as the current factor an operation asks for."""
    sent = await api.client.post("/v1/me/mfa/code", json={"method": "email"}, headers=bearer(access_token))
    assert sent.status_code == 202, sent.text
    return {"method": "email", "code": latest_mailed_code(api, email_address)}


async def register_passkey(
    api: RunningApp,
    access_token: str,
    authenticator: SoftAuthenticator,
    *,
    proof: dict[str, Any] | None = None,
    name: str = "Laptop",
) -> dict[str, Any]:
    options = await api.client.post(
        "/v1/me/passkeys/registration/options", json=proof, headers=bearer(access_token)
    )
    assert options.status_code == 200, options.text
    credential = authenticator.create(options.json()["publicKey"])
    created = await api.client.post(
        "/v1/me/passkeys", json={"credential": credential, "name": name}, headers=bearer(access_token)
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def passkey_step_up(
    api: RunningApp, access_token: str, authenticator: SoftAuthenticator
) -> dict[str, Any]:
    """A current passkey as the proof an operation asks for."""
    options = await api.client.post("/v1/me/mfa/webauthn/options", headers=bearer(access_token))
    assert options.status_code == 200, options.text
    return {"method": "webauthn", "webauthn": authenticator.get(options.json()["publicKey"])}

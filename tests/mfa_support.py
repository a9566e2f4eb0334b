"""Helpers for MFA and e-mail tests: an authenticator app (pyotp) and the outbox the embedded mailer writes."""

from __future__ import annotations

import email
import re
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp

from tests.harness import RunningApp, bearer

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

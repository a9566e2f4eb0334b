"""Key-encryption-key rotation: signing keys and TOTP secrets move to the new KEK together, or nothing moves.

Nothing a user owns may be lost: after ``keys rewrap`` and a restart with the new KEK, an enrolled
authenticator still works and tokens are still signed; a rotation that cannot decrypt everything changes nothing.
"""

from __future__ import annotations

import base64
import secrets

import pyotp
import pytest

from tests.harness import STRONG_PASSWORD, make_settings, running_app
from tests.mfa_support import enrol_totp, password_step
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.errors import ConfigurationError


def _kek() -> tuple[str, bytes]:
    raw = secrets.token_bytes(32)
    return base64.urlsafe_b64encode(raw).decode(), raw


@pytest.mark.threat("T-KEY-01")
async def test_rewrap_then_restart_with_the_new_kek_keeps_authenticators_and_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    old_text, _ = _kek()
    new_text, new_raw = _kek()
    clock = FrozenClock()
    async with running_app(make_settings(tmp_path, kek=old_text), clock) as api:
        email, tokens = await api.new_user()
        authenticator, _ = await enrol_totp(api, tokens["access_token"])
        secret = authenticator.totp.secret
        first_kid = api.container.key_ring.signing_key.kid
        await api.container.keys.rotate()
        await api.container.keys.revoke(first_kid)
        report = await api.container.kek_rotation().rewrap(KeyEncryptor(new_raw))
        assert (report.signing_keys, report.totp_secrets) == (2, 1)
        events = await api.container.audit_log.list_events(event_type="keys_rewrapped")
        assert events[0].details == {"signing_keys": 2, "mfa_factors": 1, "audit_data_keys": 1}

    clock.advance(30)
    async with running_app(make_settings(tmp_path, kek=new_text), clock) as restarted:
        step = await password_step(restarted, email, STRONG_PASSWORD)
        code = pyotp.TOTP(secret).at(clock.now())
        signed_in = await restarted.client.post(
            "/v1/login/mfa", json={"mfa_token": step["mfa_token"], "code": code}
        )
        assert signed_in.status_code == 200, signed_in.text
        # the audit data keys were rewrapped too: personal fields recorded before the rotation still open
        signup = (await restarted.container.audit_log.list_events(event_type="signup"))[0]
        assert signup.ip == "203.0.113.7"


async def test_a_rotation_that_cannot_decrypt_everything_changes_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    old_text, _ = _kek()
    async with running_app(make_settings(tmp_path, kek=old_text)) as api:
        _, tokens = await api.new_user()
        await enrol_totp(api, tokens["access_token"])
        container = api.container
        factor = (await container.mfa._factors.all_totp_factors())[0]
        await container.mfa.store_rewrapped_secrets({factor.id: b"\x01" + secrets.token_bytes(40)})
        keys_before = {k.kid: k.encrypted_private_key for k in await container.keys.list_keys()}

        with pytest.raises(ConfigurationError) as caught:
            await container.kek_rotation().rewrap(KeyEncryptor(secrets.token_bytes(32)))

        assert caught.value.problems == [
            "the current TOKENWARD_KEK cannot decrypt every stored secret; nothing was changed"
        ]
        assert {k.kid: k.encrypted_private_key for k in await container.keys.list_keys()} == keys_before

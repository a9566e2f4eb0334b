"""KEK loss (T-KEK-01): a lost key-encryption key stops start-up, and the documented recovery works.

The recovery in docs/operations.md ("A wrong or lost KEK") is: delete the rows of ``signing_keys`` and the
audit data keys still wrapped under the lost KEK, then start with a new KEK. Its cost is what the threat model
records as residual risk: every access token signed by the old keys stops verifying at once, and TOTP secrets
cannot be read any more, so users with MFA sign in with a recovery code. Refresh tokens are opaque and keep
working.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
from pathlib import Path

import pytest
from tests.harness import STRONG_PASSWORD, make_settings, running_app
from tests.mfa_support import enrol_totp, password_step

from tokenward.bootstrap import build_container
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.errors import ConfigurationError

#: the documented last resort (docs/operations.md, "A wrong or lost KEK")
RECOVERY = (
    "DELETE FROM signing_keys",
    "DELETE FROM audit_data_keys WHERE wrapped_key IS NOT NULL",
)


def _new_kek() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.mark.threat("T-KEK-01")
async def test_a_lost_kek_stops_start_up_and_the_documented_recovery_costs_only_access_tokens(
    tmp_path: Path,
) -> None:
    """Incident: the KEK is gone. Nothing may sign with an undecryptable key; recovery keeps the accounts."""
    clock = FrozenClock()
    async with running_app(make_settings(tmp_path, kek=_new_kek()), clock) as before:
        email, tokens = await before.new_user()
        mfa_email, mfa_tokens = await before.new_user()
        authenticator, recovery_codes = await enrol_totp(before, mfa_tokens["access_token"])

    replacement = make_settings(tmp_path, kek=_new_kek())
    with pytest.raises(ConfigurationError) as refused:
        await build_container(replacement)
    assert refused.value.problems == [
        "TOKENWARD_KEK cannot decrypt the stored signing keys: it is not the key they were encrypted under"
    ]

    database = sqlite3.connect(tmp_path / "tokenward.db")
    with database:
        for statement in RECOVERY:
            database.execute(statement)
    database.close()

    async with running_app(replacement, clock) as after:
        old = await after.client.get("/v1/me", headers=_bearer(tokens))
        assert old.status_code == 401
        refreshed = await after.refresh(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert (await after.client.get("/v1/me", headers=_bearer(refreshed.json()))).status_code == 200
        await after.login(email)  # a new sign-in records audit events for the same user again

        clock.advance(60)
        step = await password_step(after, mfa_email, STRONG_PASSWORD)
        with_recovery_code = await after.client.post(
            "/v1/login/mfa", json={"mfa_token": step["mfa_token"], "code": recovery_codes[0]}
        )
        assert with_recovery_code.status_code == 200, with_recovery_code.text
        step = await password_step(after, mfa_email, STRONG_PASSWORD)
        with_totp = await after.client.post(
            "/v1/login/mfa", json={"mfa_token": step["mfa_token"], "code": authenticator.code()}
        )
        assert with_totp.status_code == 401
        assert with_totp.json()["code"] == "invalid_mfa_code"
        with pytest.raises(ConfigurationError):  # the lost KEK's TOTP secrets block a later KEK rotation
            await after.container.kek_rotation().rewrap(KeyEncryptor(secrets.token_bytes(32)))

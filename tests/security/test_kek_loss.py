"""KEK loss (T-KEK-01): a lost key-encryption key stops start-up, and the documented recovery works.

The recovery in docs/operations.md ("A wrong or lost KEK") is: delete the rows of ``signing_keys`` and start
with a new KEK. Its cost is what the threat model records as residual risk: every access token signed by the
old keys stops verifying at once. Refresh tokens are opaque and keep working, so users get new access tokens.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
from pathlib import Path

import pytest
from tests.harness import make_settings, running_app

from tokenward.bootstrap import build_container
from tokenward.domain.clock import FrozenClock
from tokenward.errors import ConfigurationError


def _new_kek() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.mark.threat("T-KEK-01")
async def test_a_lost_kek_stops_start_up_and_the_documented_recovery_costs_only_access_tokens(
    tmp_path: Path,
) -> None:
    """Incident: the KEK is gone. Nothing may sign with an undecryptable key; recovery keeps the sessions."""
    clock = FrozenClock()
    async with running_app(make_settings(tmp_path, kek=_new_kek()), clock) as before:
        _, tokens = await before.new_user()
        assert (await before.client.get("/v1/me", headers=_bearer(tokens))).status_code == 200

    replacement = make_settings(tmp_path, kek=_new_kek())
    with pytest.raises(ConfigurationError) as refused:
        await build_container(replacement)
    assert refused.value.problems == [
        "TOKENWARD_KEK cannot decrypt the stored signing keys: it is not the key they were encrypted under"
    ]

    with sqlite3.connect(tmp_path / "tokenward.db") as database:  # the documented last resort
        database.execute("DELETE FROM signing_keys")
    database.close()

    async with running_app(replacement, clock) as after:
        old = await after.client.get("/v1/me", headers=_bearer(tokens))
        assert old.status_code == 401
        assert old.headers["www-authenticate"].startswith("Bearer")
        refreshed = await after.refresh(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert (await after.client.get("/v1/me", headers=_bearer(refreshed.json()))).status_code == 200


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}

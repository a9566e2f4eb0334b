"""A stolen database file gives the thief no usable refresh token, password, or signing key."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests.harness import RunningApp, make_settings, running_app

PASSWORD = "a passphrase only this test uses"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("stolen"))) as running:
        yield running


def _database_bytes(data_dir: Path) -> bytes:
    """Everything SQLite has written: the main file and its write-ahead log."""
    return b"".join(path.read_bytes() for path in sorted(data_dir.glob("tokenward.db*")))


@pytest.mark.threat("T-REF-03", "T-ACC-05", "T-INS-01")
async def test_database_files_hold_only_hashes_of_refresh_tokens_and_passwords(api: RunningApp) -> None:
    """Attack: copy the database and replay refresh tokens or read passwords from it."""
    email, tokens = await api.new_user(password=PASSWORD)
    refreshed = (await api.refresh(tokens["refresh_token"])).json()
    stored = _database_bytes(api.settings.data_dir)
    for token in (tokens["refresh_token"], refreshed["refresh_token"]):
        assert token.encode() not in stored
        assert hashlib.sha256(token.encode()).hexdigest().encode() in stored
    assert PASSWORD.encode() not in stored
    assert b"$argon2id$" in stored
    assert email.encode() in stored  # the scan itself works: known plaintext is found


@pytest.mark.threat("T-KEY-01", "T-INS-01")
async def test_database_files_hold_no_private_signing_key(api: RunningApp) -> None:
    """Attack: copy the database and sign tokens with the stored private key."""
    signing_key = api.container.key_ring.signing_key
    private = signing_key.key.private_key
    assert isinstance(private, ec.EllipticCurvePrivateKey)  # the default ES256 key: a 32-byte private scalar
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    stored = _database_bytes(api.settings.data_dir)
    assert signing_key.kid.encode() in stored
    assert der not in stored
    assert scalar not in stored

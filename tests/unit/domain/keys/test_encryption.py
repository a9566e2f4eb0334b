"""AES-256-GCM envelope for private keys: round trip, fresh nonces, and refusal of every mismatch."""

from __future__ import annotations

import os

import pytest

from tokenward.domain.keys.encryption import (
    FORMAT_VERSION,
    NONCE_BYTES,
    TAG_BYTES,
    KeyDecryptionError,
    KeyEncryptor,
)

SECRET = b"-----PKCS#8 private key bytes-----"


@pytest.fixture
def encryptor() -> KeyEncryptor:
    return KeyEncryptor(os.urandom(32))


def test_round_trip(encryptor: KeyEncryptor) -> None:
    assert encryptor.decrypt(encryptor.encrypt(SECRET, "kid-1"), "kid-1") == SECRET


@pytest.mark.threat("T-KEY-01")
def test_blob_layout_and_no_plaintext(encryptor: KeyEncryptor) -> None:
    """version byte + 96-bit nonce + ciphertext + 128-bit tag; the plaintext appears nowhere in it."""
    blob = encryptor.encrypt(SECRET, "kid-1")
    assert blob[0] == FORMAT_VERSION
    assert len(blob) == 1 + NONCE_BYTES + len(SECRET) + TAG_BYTES
    assert SECRET not in blob


def test_every_encryption_uses_a_fresh_nonce(encryptor: KeyEncryptor) -> None:
    blobs = {encryptor.encrypt(SECRET, "kid-1") for _ in range(50)}
    nonces = {blob[1 : 1 + NONCE_BYTES] for blob in blobs}
    assert len(blobs) == len(nonces) == 50


@pytest.mark.threat("T-KEY-01")
@pytest.mark.parametrize("position", [0, 1, 12, 13, -17, -1])
def test_tampering_anywhere_is_refused(encryptor: KeyEncryptor, position: int) -> None:
    """Version, nonce, ciphertext or tag: a flipped bit anywhere fails authentication."""
    blob = bytearray(encryptor.encrypt(SECRET, "kid-1"))
    blob[position] ^= 0x01
    with pytest.raises(KeyDecryptionError):
        encryptor.decrypt(bytes(blob), "kid-1")


@pytest.mark.threat("T-KEY-01")
def test_wrong_kid_is_refused(encryptor: KeyEncryptor) -> None:
    """The kid is associated data: a ciphertext moved onto another key's row does not decrypt."""
    with pytest.raises(KeyDecryptionError, match="kid-2"):
        encryptor.decrypt(encryptor.encrypt(SECRET, "kid-1"), "kid-2")


@pytest.mark.threat("T-KEY-01")
def test_wrong_kek_is_refused(encryptor: KeyEncryptor) -> None:
    with pytest.raises(KeyDecryptionError):
        KeyEncryptor(os.urandom(32)).decrypt(encryptor.encrypt(SECRET, "kid-1"), "kid-1")


@pytest.mark.parametrize("blob", [b"", b"\x01", bytes(1 + NONCE_BYTES + TAG_BYTES - 1)])
def test_truncated_blob_is_refused(encryptor: KeyEncryptor, blob: bytes) -> None:
    with pytest.raises(KeyDecryptionError):
        encryptor.decrypt(blob, "kid-1")


@pytest.mark.parametrize("kek", [b"", bytes(16), bytes(31), bytes(33), bytes(64)])
def test_kek_must_be_32_bytes(kek: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyEncryptor(kek)


def test_kek_given_as_text_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyEncryptor("x" * 32)  # type: ignore[arg-type]


def test_kek_never_shown() -> None:
    kek = os.urandom(32)
    assert kek.hex() not in repr(KeyEncryptor(kek))
    assert "redacted" in repr(KeyEncryptor(kek))


def test_rewrap_moves_the_key_to_the_new_kek(encryptor: KeyEncryptor) -> None:
    new = KeyEncryptor(os.urandom(32))
    old_blob = encryptor.encrypt(SECRET, "kid-1")
    new_blob = encryptor.rewrap(old_blob, "kid-1", new)
    assert new.decrypt(new_blob, "kid-1") == SECRET
    with pytest.raises(KeyDecryptionError):
        encryptor.decrypt(new_blob, "kid-1")


def test_rewrap_refuses_a_blob_it_cannot_read(encryptor: KeyEncryptor) -> None:
    stranger = KeyEncryptor(os.urandom(32)).encrypt(SECRET, "kid-1")
    with pytest.raises(KeyDecryptionError):
        encryptor.rewrap(stranger, "kid-1", KeyEncryptor(os.urandom(32)))

"""Envelope encryption of signing keys' private halves (AES-256-GCM under the key-encryption key).

A database leak must not leak signing keys (threat T-KEY-01), so the private half of every signing key is
stored only as ciphertext under a key-encryption key (KEK) that lives outside the database. The key's ``kid``
is bound as associated data: a ciphertext copied onto another key's row fails to decrypt instead of silently
swapping keys.

Blob layout: ``version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)``. The version byte lets a
future format (another AEAD, a KEK identifier) coexist with stored blobs.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEK_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
FORMAT_VERSION = 1
_HEADER_BYTES = 1 + NONCE_BYTES


class KeyDecryptionError(ValueError):
    """A stored private key did not decrypt: wrong key-encryption key, wrong kid, or tampered data.

    The three causes are deliberately not told apart: AES-GCM cannot, and guessing would mislead an operator.
    """

    def __init__(self, kid: str) -> None:
        super().__init__(
            f"private key {kid!r} could not be decrypted: "
            "wrong key-encryption key, wrong kid, or tampered data"
        )
        self.kid = kid


class KeyEncryptor:
    """Encrypts and decrypts private keys under one 256-bit key-encryption key."""

    def __init__(self, kek: bytes) -> None:
        if not isinstance(kek, bytes) or len(kek) != KEK_BYTES:
            # never echo the value: it is the most sensitive secret the service has
            raise ValueError(f"the key-encryption key must be exactly {KEK_BYTES} bytes")
        self._aead = AESGCM(kek)

    def __repr__(self) -> str:
        return "KeyEncryptor(kek=[redacted])"

    def encrypt(self, plaintext: bytes, kid: str) -> bytes:
        """Encrypt with a fresh random nonce: GCM breaks down completely if a nonce repeats under one key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, kid.encode("utf-8"))
        return bytes([FORMAT_VERSION]) + nonce + sealed

    def decrypt(self, blob: bytes, kid: str) -> bytes:
        """Decrypt and authenticate; raises ``KeyDecryptionError`` on any mismatch."""
        if len(blob) < _HEADER_BYTES + TAG_BYTES or blob[0] != FORMAT_VERSION:
            raise KeyDecryptionError(kid)
        nonce = blob[1:_HEADER_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[_HEADER_BYTES:], kid.encode("utf-8"))
        except InvalidTag:
            raise KeyDecryptionError(kid) from None

    def rewrap(self, blob: bytes, kid: str, new: KeyEncryptor) -> bytes:
        """Re-encrypt under another key-encryption key (KEK rotation) without the key leaving memory."""
        return new.encrypt(self.decrypt(blob, kid), kid)

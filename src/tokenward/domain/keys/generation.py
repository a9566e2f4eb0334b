"""New signing keys: a key pair for the configured algorithm, its private half encrypted before it leaves."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.jwk import as_jose_key, public_jwk
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS, KeyState, StoredKey

RSA_KEY_BITS = 3072


def check_algorithm(alg: str) -> None:
    if alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(
            f"unsupported signing algorithm {alg!r}; choose one of {', '.join(SUPPORTED_ALGORITHMS)}"
        )


def _generate_private_key(
    alg: str,
) -> ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)


def generate_key(alg: str, encryptor: KeyEncryptor, now: datetime, state: KeyState) -> StoredKey:
    """Generate a key pair for ``alg``; the private half leaves this function only encrypted."""
    check_algorithm(alg)
    private = _generate_private_key(alg)
    jose_public = as_jose_key(private.public_key())
    kid = jose_public.thumbprint()
    der = private.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return StoredKey(
        kid=kid,
        alg=alg,
        state=state,
        public_jwk=public_jwk(jose_public, kid=kid, alg=alg),
        encrypted_private_key=encryptor.encrypt(der, kid),
        created_at=now,
        activated_at=now if state is KeyState.ACTIVE else None,
    )

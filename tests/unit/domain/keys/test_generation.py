"""Key generation for every supported algorithm: kid, public JWK, encrypted PKCS#8 private half."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS, KeyState, StoredKey
from tokenward_client.keys import PRIVATE_JWK_MEMBERS

ENCRYPTOR = KeyEncryptor(os.urandom(32))
NOW = FrozenClock().now()
#: RFC 7638 §3.2: the required members per key type, in lexicographic order
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}


@pytest.fixture(scope="module")
def keys() -> dict[str, StoredKey]:
    """One key per algorithm for the whole module: RSA-3072 generation is slow."""
    return {alg: generate_key(alg, ENCRYPTOR, NOW, KeyState.ACTIVE) for alg in SUPPORTED_ALGORITHMS}


def rfc7638_thumbprint(jwk: dict[str, str]) -> str:
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_kid_is_the_rfc7638_thumbprint(keys: dict[str, StoredKey], alg: str) -> None:
    key = keys[alg]
    assert key.kid == rfc7638_thumbprint(dict(key.public_jwk))
    assert key.public_jwk["kid"] == key.kid


@pytest.mark.threat("T-KEY-02")
@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_public_jwk_has_only_public_members(keys: dict[str, StoredKey], alg: str) -> None:
    jwk = dict(keys[alg].public_jwk)
    assert not PRIVATE_JWK_MEMBERS & jwk.keys()
    assert {"d", "p", "q", "dp", "dq", "qi", "k"}.isdisjoint(jwk)
    assert jwk["alg"] == alg
    assert jwk["use"] == "sig"


@pytest.mark.parametrize(
    ("alg", "expected"),
    [
        ("ES256", {"kty": "EC", "crv": "P-256"}),
        ("Ed25519", {"kty": "OKP", "crv": "Ed25519"}),
        ("RS256", {"kty": "RSA"}),
        ("PS256", {"kty": "RSA"}),
    ],
)
def test_key_type_fits_the_algorithm(keys: dict[str, StoredKey], alg: str, expected: dict[str, str]) -> None:
    assert expected.items() <= dict(keys[alg].public_jwk).items()


@pytest.mark.threat("T-KEY-01")
@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_private_half_is_encrypted_pkcs8_of_the_published_key(keys: dict[str, StoredKey], alg: str) -> None:
    key = keys[alg]
    der = ENCRYPTOR.decrypt(key.encrypted_private_key, key.kid)
    assert der not in key.encrypted_private_key
    private = serialization.load_der_private_key(der, password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey)
    # PKCS#8 DER round-trips to the same bytes
    assert (
        private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        == der
    )
    if isinstance(private, rsa.RSAPrivateKey):
        assert private.key_size == 3072
    if isinstance(private, ec.EllipticCurvePrivateKey):
        assert isinstance(private.curve, ec.SECP256R1)


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_record_fields(keys: dict[str, StoredKey], alg: str) -> None:
    key = keys[alg]
    assert key.alg == alg
    assert key.state is KeyState.ACTIVE
    assert key.created_at == key.activated_at == NOW
    assert key.retired_at is None


def test_a_next_key_is_not_activated() -> None:
    key = generate_key("ES256", ENCRYPTOR, NOW, KeyState.NEXT)
    assert key.state is KeyState.NEXT
    assert key.activated_at is None


def test_every_key_is_new() -> None:
    assert (
        generate_key("Ed25519", ENCRYPTOR, NOW, KeyState.NEXT).kid
        != generate_key("Ed25519", ENCRYPTOR, NOW, KeyState.NEXT).kid
    )


@pytest.mark.parametrize("alg", ["HS256", "none", "es256", "EdDSA", "RS512", ""])
def test_unsupported_algorithms_are_refused(alg: str) -> None:
    with pytest.raises(ValueError, match="unsupported signing algorithm"):
        generate_key(alg, ENCRYPTOR, NOW, KeyState.ACTIVE)

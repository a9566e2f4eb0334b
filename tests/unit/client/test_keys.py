"""``tokenward_client.keys``: JWKs read straight into ``cryptography`` keys, never more leniently than joserfc.

The library used to import JWKs through joserfc; it now reads them itself so that it needs nothing but
``cryptography``. ``joserfc_reader`` is the replaced code: every published key reads to the very same public key
through both, each broken JWK below is refused, and no mutated JWK is accepted unless the old reader accepted it
too, as the same key. The new reader is stricter in one place: P-256 coordinates must be exactly 32 bytes
(RFC 7518 §6.2.1.2), where joserfc accepted shorter or zero-prefixed ones.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey, import_key
from joserfc.jws import JWSRegistry

from tests.security.jwt_attacks import key_material
from tokenward_client.keys import (
    MIN_RSA_VERIFY_BITS,
    SUPPORTED_ALGORITHMS,
    VerificationKey,
    verification_key_from_jwk,
)
from tokenward_client.signatures import low_s

#: a point that is not on P-256 (x = 1, y = 1)
OFF_CURVE = base64.urlsafe_b64encode((1).to_bytes(32, "big")).rstrip(b"=").decode()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def joserfc_reader(jwk: Mapping[str, Any]) -> object | None:
    """The replaced reader: joserfc import and key check of the public members; ``None`` if it refused."""
    members = {name: value for name, value in jwk.items() if name in {"kty", "crv", "x", "y", "n", "e"}}
    try:
        key = import_key(members)
        JWSRegistry.algorithms[str(jwk["alg"])].check_key(key)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    if isinstance(key, RSAKey) and key.public_key.key_size < MIN_RSA_VERIFY_BITS:
        return None
    return key.public_key


def new_reader(jwk: Mapping[str, Any]) -> VerificationKey | None:
    try:
        return verification_key_from_jwk(jwk)
    except ValueError:
        return None


def public_numbers(key: object) -> object:
    """What identifies a public key: its numbers, or its raw bytes for Ed25519."""
    if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return key.public_numbers()
    assert isinstance(key, ed25519.Ed25519PublicKey)
    return key.public_bytes_raw()


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_a_published_key_reads_to_the_same_public_key_as_joserfc(alg: str) -> None:
    jwk = key_material(alg).public_jwk
    old = joserfc_reader(jwk)
    new = new_reader(jwk)
    assert old is not None
    assert new is not None
    assert new.alg == alg
    assert new.kid == jwk["kid"]
    assert public_numbers(new.key) == public_numbers(old)


def _changed(base: str, **members: object) -> dict[str, Any]:
    """The published JWK of ``base``'s test key with ``members`` replaced (``None`` removes one)."""
    jwk: dict[str, Any] = dict(key_material(base).public_jwk)
    for name, value in members.items():
        if value is None:
            jwk.pop(name, None)
        else:
            jwk[name] = value
    return jwk


def _short_rsa() -> dict[str, Any]:
    # the point of the case: a modulus too small to trust
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    numbers = small.public_key().public_numbers()
    return _changed("RS256", n=b64(numbers.n.to_bytes(128, "big")), e=b64(numbers.e.to_bytes(3, "big")))


def _truncated(alg: str, member: str, keep: int) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(key_material(alg).public_jwk[member] + "==")
    return _changed(alg, **{member: b64(raw[:keep])})


def _padded(alg: str, member: str) -> dict[str, Any]:
    value = key_material(alg).public_jwk[member]
    return _changed(alg, **{member: value + "=" * (-len(value) % 4 or 4)})


def _stray_bits(alg: str, member: str) -> dict[str, Any]:
    """The same bytes with the unused low bits of the last character set: a second spelling of one key."""
    value = key_material(alg).public_jwk[member]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(value[-1])
    return _changed(alg, **{member: value[:-1] + alphabet[last | 1]})


BROKEN: dict[str, Any] = {
    "EC point not on the curve": lambda: _changed("ES256", x=OFF_CURVE, y=OFF_CURVE),
    "EC coordinate missing": lambda: _changed("ES256", y=None),
    "EC coordinate not a string": lambda: _changed("ES256", x=12345),
    "EC coordinate not base64url": lambda: _changed("ES256", x="not base64!"),
    "EC coordinate padded": lambda: _padded("ES256", "x"),
    "EC coordinate shortened": lambda: _truncated("ES256", "x", 31),
    "EC key on another curve": lambda: _changed("ES256", crv="P-384"),
    "EC key with an RSA algorithm": lambda: _changed("ES256", alg="RS256"),
    "Ed25519 key of 31 bytes": lambda: _truncated("Ed25519", "x", 31),
    "Ed25519 key empty": lambda: _changed("Ed25519", x=""),
    "Ed25519 key with stray low bits": lambda: _stray_bits("Ed25519", "x"),
    "Ed25519 key claiming X25519": lambda: _changed("Ed25519", crv="X25519"),
    "RSA modulus of 1024 bits": _short_rsa,
    "RSA modulus missing": lambda: _changed("RS256", n=None),
    "RSA exponent even": lambda: _changed("PS256", e=b64((65536).to_bytes(3, "big"))),
    "RSA exponent one": lambda: _changed("RS256", e="AQ"),
    "RSA key with an EC algorithm": lambda: _changed("RS256", alg="ES256"),
    "private member d": lambda: _changed("ES256", d=b64(bytes(32))),
    "use enc": lambda: _changed("ES256", use="enc"),
    "key_ops without verify": lambda: _changed("ES256", key_ops=["encrypt", "wrapKey"]),
    "key_ops empty": lambda: _changed("ES256", key_ops=[]),
    "key_ops a string": lambda: _changed("ES256", key_ops="verify"),
    "key_ops null": lambda: _changed("ES256", key_ops=[None]),
    "key_ops with verify twice": lambda: _changed("ES256", key_ops=["verify", "verify"]),
    "no kid": lambda: _changed("ES256", kid=None),
    "empty kid": lambda: _changed("ES256", kid=""),
    "no alg": lambda: _changed("ES256", alg=None),
    "alg none": lambda: _changed("ES256", alg="none"),
    "alg HS256": lambda: _changed("ES256", alg="HS256", kty="oct", k=b64(bytes(32))),
    "legacy EdDSA label when not configured": lambda: _changed("Ed25519", alg="EdDSA"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_jwk_is_refused(case: str) -> None:
    """The JWK named in the test id is refused with a ``ValueError`` naming the JWK, so the JWKS cache skips it."""
    jwk = BROKEN[case]()
    with pytest.raises(ValueError, match="JWK"):
        verification_key_from_jwk(jwk)


MEMBERS = [("ES256", "x"), ("ES256", "y"), ("Ed25519", "x"), ("RS256", "n"), ("RS256", "e"), ("PS256", "n")]


@st.composite
def mutated_jwks(draw: st.DrawFn) -> dict[str, Any]:
    """A published JWK with one key member's bytes bit-flipped, cut, zero-prefixed, stripped or replaced."""
    alg, member = draw(st.sampled_from(MEMBERS))
    raw = base64.urlsafe_b64decode(key_material(alg).public_jwk[member] + "==")
    index = draw(st.integers(0, len(raw) - 1))
    mutated = draw(
        st.sampled_from(
            [
                raw[:index] + bytes([raw[index] ^ (1 << draw(st.integers(0, 7)))]) + raw[index + 1 :],
                raw[:index],
                b"\x00" + raw,
                raw[1:],
                draw(st.binary(max_size=520)),
            ]
        )
    )
    return _changed(alg, **{member: b64(mutated)})


@settings(max_examples=300, deadline=None, database=None)
@given(jwk=mutated_jwks())
def test_never_more_lenient_than_joserfc(jwk: dict[str, Any]) -> None:
    """Whatever a mutated JWK reads to, the joserfc reader read the same key from it: nothing new gets in."""
    new = new_reader(jwk)
    if new is not None:
        old = joserfc_reader(jwk)
        assert old is not None
        assert public_numbers(new.key) == public_numbers(old)


@pytest.mark.parametrize("ops", [["verify"], ["sign", "verify"]])
def test_a_jwk_whose_key_ops_lists_verify_is_used(ops: list[str]) -> None:
    """Positive control for the ``key_ops`` refusals above: with ``verify`` listed the key reads as usual."""
    key = verification_key_from_jwk(_changed("ES256", key_ops=ops))
    assert key.kid == key_material("ES256").stored.kid


def test_the_legacy_eddsa_label_reads_as_ed25519_when_configured() -> None:
    jwk = _changed("Ed25519", alg="EdDSA")
    key = verification_key_from_jwk(jwk, accept_legacy_eddsa=True)
    assert key.alg == "Ed25519"


def test_a_key_verifies_only_with_its_own_algorithm() -> None:
    """Built from a cryptography key or from a joserfc key holding one: the same check, one algorithm."""
    from_jwk = verification_key_from_jwk(key_material("ES256").public_jwk)
    from_ring = key_material("ES256").ring.verification_key(from_jwk.kid)
    assert from_ring is not None
    signing_key = key_material("ES256").signing_key
    signing_input = b"header.payload"
    signature = low_s(JWSRegistry.algorithms["ES256"].sign(signing_input, signing_key.key))
    assert from_jwk.check_signature(signing_input, signature)
    assert from_ring.check_signature(signing_input, signature)
    as_rs256 = VerificationKey(kid=from_jwk.kid, alg="RS256", key=from_jwk.key)
    assert not as_rs256.check_signature(signing_input, signature)

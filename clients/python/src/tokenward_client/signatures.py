"""Signature checks straight through ``cryptography``: the verifier's hot path.

A JOSE library's compact-JWS check rebuilds a signature object, an algorithm registry and a header check for
every token; once ``verification.parse_unverified`` has done the parsing and the header rules, all that is left
is one call into OpenSSL. Profiling showed those layers costing more than the ECDSA check itself (the Tokenward
repository's bench/README.md), so each ``VerificationKey`` builds its check once, with the algorithm's padding
and hash objects bound.

The decisions are joserfc's (``JWSAlgModel.verify``) for the four supported algorithms, with one rule added:
an ES256 signature is the raw ``r || s`` of exactly 64 bytes (RFC 7518 §3.4) turned into DER, and its ``s`` must
be in the lower half of the group order ("low-S"). ECDSA is malleable: whenever ``(r, s)`` is valid, so is
``(r, n - s)``, a second spelling of the same token that a deny-list or replay cache keyed by the token string
would not recognise. Tokenward signs with low ``s`` only (``low_s``), so refusing the high twin costs nothing
and leaves every token exactly one spelling. Ed25519 (RFC 8032 already refuses a non-canonical ``S``) and RSA
signatures go to ``cryptography`` as they are, which refuses a wrong length as an invalid signature. A key
whose type does not fit the algorithm never verifies anything. tests/security/test_verifier_differential.py
holds the proof: the same accept/reject decision and reason as the joserfc path plus the low-S rule on valid
tokens, every attack token and generated variants.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

#: ``check(signing_input, signature) -> bool``; never raises for any signature bytes
SignatureCheck = Callable[[bytes, bytes], bool]

ES256_SIGNATURE_BYTES = 64
#: order of the P-256 group: ECDSA's ``r`` and ``s`` lie in [1, n - 1]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
#: the largest ``s`` of a low-S signature
P256_HALF_ORDER = P256_ORDER // 2
_HALF = ES256_SIGNATURE_BYTES // 2
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_PKCS1V15 = padding.PKCS1v15()
_PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)


def _never(_signing_input: bytes, _signature: bytes) -> bool:
    return False


def is_low_s(signature: bytes) -> bool:
    """Whether a raw ES256 signature ``r || s`` has its ``s`` in the lower half of the group order."""
    return int.from_bytes(signature[_HALF:], "big") <= P256_HALF_ORDER


def low_s(signature: bytes) -> bytes:
    """The one spelling of a raw ES256 signature: ``(r, n - s)`` when ``s`` is in the upper half.

    Both verify under the same key; a signer applies this after signing so that its tokens pass ``is_low_s``.
    """
    if len(signature) != ES256_SIGNATURE_BYTES:
        raise ValueError("an ES256 signature is 64 bytes")
    s = int.from_bytes(signature[_HALF:], "big")
    if s <= P256_HALF_ORDER:
        return signature
    return signature[:_HALF] + (P256_ORDER - s).to_bytes(_HALF, "big")


def _es256(key: ec.EllipticCurvePublicKey) -> SignatureCheck:
    if not isinstance(key.curve, ec.SECP256R1):
        return _never
    verify = key.verify

    def check(signing_input: bytes, signature: bytes) -> bool:
        if len(signature) != ES256_SIGNATURE_BYTES:
            return False
        r = int.from_bytes(signature[:_HALF], "big")
        s = int.from_bytes(signature[_HALF:], "big")
        if s > P256_HALF_ORDER:
            return False  # the high twin of a valid signature: one spelling per token
        try:
            verify(encode_dss_signature(r, s), signing_input, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        return True

    return check


def _ed25519(key: ed25519.Ed25519PublicKey) -> SignatureCheck:
    verify = key.verify

    def check(signing_input: bytes, signature: bytes) -> bool:
        try:
            verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True

    return check


def _rsa(key: rsa.RSAPublicKey, scheme: padding.AsymmetricPadding) -> SignatureCheck:
    verify = key.verify
    sha256 = hashes.SHA256()

    def check(signing_input: bytes, signature: bytes) -> bool:
        try:
            verify(signature, signing_input, scheme, sha256)
        except InvalidSignature:
            return False
        return True

    return check


def signature_check(alg: str, public_key: object) -> SignatureCheck:
    """The check for signatures made with ``alg`` under ``public_key`` (a ``cryptography`` public key)."""
    if alg == "ES256" and isinstance(public_key, ec.EllipticCurvePublicKey):
        return _es256(public_key)
    if alg == "Ed25519" and isinstance(public_key, ed25519.Ed25519PublicKey):
        return _ed25519(public_key)
    if alg == "RS256" and isinstance(public_key, rsa.RSAPublicKey):
        return _rsa(public_key, _PKCS1V15)
    if alg == "PS256" and isinstance(public_key, rsa.RSAPublicKey):
        return _rsa(public_key, _PSS_SHA256)
    return _never

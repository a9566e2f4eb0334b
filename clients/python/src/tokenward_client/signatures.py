"""Signature checks straight through ``cryptography``: the verifier's hot path.

A JOSE library's compact-JWS check rebuilds a signature object, an algorithm registry and a header check for
every token; once ``verification.parse_unverified`` has done the parsing and the header rules, all that is left
is one call into OpenSSL. Profiling showed those layers costing more than the ECDSA check itself (the Tokenward
repository's bench/README.md), so each ``VerificationKey`` builds its check once, with the algorithm's padding
and hash objects bound.

The decisions are joserfc's (``JWSAlgModel.verify``) for the four supported algorithms: an ES256 signature is
the raw ``r || s`` of exactly 64 bytes (RFC 7518 §3.4) turned into DER; Ed25519 and RSA signatures go to
``cryptography`` as they are, which refuses a wrong length as an invalid signature. A key whose type does not
fit the algorithm never verifies anything. tests/security/test_verifier_differential.py holds the proof: the
same accept/reject decision and reason as the joserfc path on valid tokens, every attack token and generated
variants.
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
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_PKCS1V15 = padding.PKCS1v15()
_PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)


def _never(_signing_input: bytes, _signature: bytes) -> bool:
    return False


def _es256(key: ec.EllipticCurvePublicKey) -> SignatureCheck:
    if not isinstance(key.curve, ec.SECP256R1):
        return _never
    verify = key.verify
    half = ES256_SIGNATURE_BYTES // 2

    def check(signing_input: bytes, signature: bytes) -> bool:
        if len(signature) != ES256_SIGNATURE_BYTES:
            return False
        r = int.from_bytes(signature[:half], "big")
        s = int.from_bytes(signature[half:], "big")
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

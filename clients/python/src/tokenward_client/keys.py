"""Verification keys: one public key and the one algorithm a signature under it may use, read from a JWK.

One key verifies with exactly one algorithm, named by its JWK's ``alg``; everything that verifies takes the
algorithm from the key, never from a token header (RFC 8725 §3.1).

``verification_key_from_jwk`` is used both by the issuer for its own published keys and by resource servers for
keys fetched from its JWKS, so the rules are the same everywhere. It reads the JWK straight into a
``cryptography`` public key: the members are canonical base64url, the EC point must lie on P-256 with both
coordinates at full length (RFC 7518 §6.2.1), an Ed25519 key is exactly 32 bytes, an RSA modulus has at least
``MIN_RSA_VERIFY_BITS`` bits.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tokenward_client.signatures import SignatureCheck, signature_check

#: the signing algorithms Tokenward uses and this library verifies; HMAC and ``none`` are never among them
SUPPORTED_ALGORITHMS: tuple[str, ...] = ("ES256", "Ed25519", "RS256", "PS256")
#: the RFC 8037 label for Ed25519, superseded by RFC 9864's "Ed25519"; accepted only when configured
LEGACY_EDDSA = "EdDSA"
#: smallest RSA modulus accepted (NIST SP 800-131A); Tokenward's own keys are 3072 bits
MIN_RSA_VERIFY_BITS = 2048
#: JWK members that only a private (or symmetric) key has; never published, never accepted from a JWKS
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: P-256 coordinates are exactly this long (RFC 7518 §6.2.1.2)
P256_COORDINATE_BYTES = 32

#: the key type (and curve) each algorithm needs
KEY_TYPES: Mapping[str, tuple[str, str | None]] = {
    "ES256": ("EC", "P-256"),
    "Ed25519": ("OKP", "Ed25519"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
_PUBLIC_KEY_TYPES = (ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, rsa.RSAPublicKey)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class HoldsPublicKey(Protocol):
    """A JOSE library's key object holding the ``cryptography`` public key it wraps (joserfc's ``ECKey`` ...)."""

    @property
    def public_key(self) -> object: ...


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key and the one algorithm a signature under it may use.

    ``key`` is a ``cryptography`` public key (what ``verification_key_from_jwk`` builds) or a JOSE library's key
    object holding one (the issuer keeps joserfc keys, which it also publishes); either way the signature check
    goes straight to the ``cryptography`` key.
    """

    kid: str
    alg: str
    key: PublicKey | HoldsPublicKey
    #: the signature check for ``alg`` under ``key``, built once (``signatures``: the verifier's hot path)
    check_signature: SignatureCheck = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        public = self.key if isinstance(self.key, _PUBLIC_KEY_TYPES) else self.key.public_key
        object.__setattr__(self, "check_signature", signature_check(self.alg, public))


def _member(jwk: Mapping[str, Any], name: str) -> bytes:
    """A base64url JWK member, decoded; only the canonical encoding (no padding, no stray low bits)."""
    value = jwk.get(name)
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        raise ValueError(f"JWK member {name!r} is missing or not base64url")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except binascii.Error:
        raise ValueError(f"JWK member {name!r} is not base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != value:
        raise ValueError(f"JWK member {name!r} is not canonical base64url")
    return raw


def _public_key(kty: str, jwk: Mapping[str, Any]) -> PublicKey:
    """The ``cryptography`` public key a JWK of key type ``kty`` describes; ``ValueError`` if it is not one."""
    if kty == "EC":
        x, y = _member(jwk, "x"), _member(jwk, "y")
        if len(x) != P256_COORDINATE_BYTES or len(y) != P256_COORDINATE_BYTES:
            raise ValueError("P-256 coordinates must be 32 bytes each")
        # refuses a point that is not on the curve
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    if kty == "OKP":
        return ed25519.Ed25519PublicKey.from_public_bytes(_member(jwk, "x"))
    n = int.from_bytes(_member(jwk, "n"), "big")
    e = int.from_bytes(_member(jwk, "e"), "big")
    key = rsa.RSAPublicNumbers(e, n).public_key()
    if key.key_size < MIN_RSA_VERIFY_BITS:
        raise ValueError("RSA key too small")
    return key


def _check_key_ops(jwk: Mapping[str, Any]) -> None:
    """A ``key_ops`` member limits what the key may do: without ``verify`` it verifies nothing here."""
    if "key_ops" not in jwk:
        return
    ops = jwk["key_ops"]
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops) or len(set(ops)) != len(ops):
        raise ValueError("JWK key_ops is not a list of distinct operations")
    if "verify" not in ops:
        raise ValueError("JWK key_ops does not allow verify")


def verification_key_from_jwk(
    jwk: Mapping[str, Any],
    *,
    algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
    accept_legacy_eddsa: bool = False,
) -> VerificationKey:
    """Turn one published JWK into a verification key, or raise ``ValueError`` saying why it is unusable.

    ``alg`` must be present and allowed (one algorithm per key), the key type and curve must fit it, ``use``
    (when present) must be ``sig``, ``key_ops`` (when present, RFC 7517 §4.3) must list ``verify``, and a JWK
    carrying private members is refused rather than stripped, because a JWKS that publishes them is
    misconfigured and must not be trusted.
    """
    allowed = frozenset(algorithms)
    kid = jwk.get("kid")
    alg = jwk.get("alg")
    if not isinstance(kid, str) or not kid:
        raise ValueError("JWK without a kid")
    if not isinstance(alg, str):
        raise ValueError("JWK without an alg")
    if alg == LEGACY_EDDSA and accept_legacy_eddsa and jwk.get("crv") == "Ed25519":
        alg = "Ed25519"
    if alg not in allowed or alg not in KEY_TYPES:
        raise ValueError("JWK algorithm not allowed")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise ValueError("JWK carries private key members")
    if jwk.get("use", "sig") != "sig":
        raise ValueError("JWK is not for signatures")
    _check_key_ops(jwk)
    kty, crv = KEY_TYPES[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise ValueError("JWK key type does not fit its algorithm")
    try:
        key = _public_key(kty, jwk)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"JWK is not a valid public key: {exc}") from exc
    return VerificationKey(kid=kid, alg=alg, key=key)

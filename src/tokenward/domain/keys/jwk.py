"""JWKs and the key objects built from them: the key that signs, the keys that verify, the JWK to publish.

One key signs with exactly one algorithm, fixed at generation and written into its public JWK; everything that
verifies takes the algorithm from the key, never from a token header (RFC 8725 §3.1). ``kid`` is the RFC 7638
thumbprint of the public key, so it names the key material itself and can be recomputed to detect a mix-up.

The same parsing serves our own stored keys and the keys a resource server fetches from a JWKS, so the rules
for accepting a public key are written once (``verification_key_from_jwk``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key
from joserfc.jws import JWSRegistry

from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.keys.signatures import SignatureCheck, signature_check

#: a JOSE key object able to sign (private) or verify (public) with one of the supported algorithms
AsymmetricKey = ECKey | OKPKey | RSAKey

#: smallest RSA modulus accepted from a JWKS (NIST SP 800-131A); our own keys are 3072 bits
MIN_RSA_VERIFY_BITS = 2048
#: JWK members that only a private (or symmetric) key has; never published, never accepted from a JWKS
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: the RFC 8037 label for Ed25519, superseded by RFC 9864's "Ed25519"; accepted only when configured
LEGACY_EDDSA = "EdDSA"

_KEY_TYPE: Mapping[str, tuple[str, str | None]] = {
    "ES256": ("EC", "P-256"),
    "Ed25519": ("OKP", "Ed25519"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The private key that signs new tokens, with the one algorithm it signs with."""

    kid: str
    alg: str
    key: AsymmetricKey

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r}, alg={self.alg!r})"


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key and the one algorithm a signature under it may use."""

    kid: str
    alg: str
    key: AsymmetricKey
    #: the signature check for ``alg`` under ``key``, built once (domain/keys/signatures.py: the verifier's hot path)
    check_signature: SignatureCheck = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "check_signature", signature_check(self.alg, self.key.public_key))


def as_jose_key(key: object) -> AsymmetricKey:
    """Wrap a ``cryptography`` key object, or import a JWK dict, as a joserfc key."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECKey.import_key(key)
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return OKPKey.import_key(key)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSAKey.import_key(key)
    if isinstance(key, Mapping):
        jose_key = import_key(dict(key))
        if isinstance(jose_key, ECKey | OKPKey | RSAKey):
            return jose_key
    raise ValueError("not a supported asymmetric key")


def public_jwk(key: AsymmetricKey, *, kid: str, alg: str) -> dict[str, str]:
    """The JWK to publish: re-derived from the key, so only public members can ever appear (T-KEY-02)."""
    members = {name: str(value) for name, value in key.as_dict(private=False).items()}
    leaked = PRIVATE_JWK_MEMBERS & members.keys()
    if leaked:  # pragma: no cover - as_dict(private=False) never returns them; this guards a library change
        raise ValueError("refusing to publish a JWK with private members")
    return {**members, "kid": kid, "alg": alg, "use": "sig"}


def verification_key_from_jwk(
    jwk: Mapping[str, Any],
    *,
    algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
    accept_legacy_eddsa: bool = False,
) -> VerificationKey:
    """Turn one published JWK into a verification key, or raise ``ValueError`` saying why it is unusable.

    Used both for our own stored keys and for keys fetched from a JWKS by resource servers, so the rules are
    the same everywhere: ``alg`` must be present and allowed (one algorithm per key), the key type and curve
    must fit it, ``use`` (when present) must be ``sig``, and a JWK carrying private members is refused rather
    than stripped, because a JWKS that publishes them is misconfigured and must not be trusted.
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
    if alg not in allowed or alg not in _KEY_TYPE:
        raise ValueError("JWK algorithm not allowed")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise ValueError("JWK carries private key members")
    if jwk.get("use", "sig") != "sig":
        raise ValueError("JWK is not for signatures")
    kty, crv = _KEY_TYPE[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise ValueError("JWK key type does not fit its algorithm")
    public_members = {
        name: value for name, value in jwk.items() if name in {"kty", "crv", "x", "y", "n", "e"}
    }
    try:
        key = as_jose_key(public_members)
        JWSRegistry.algorithms[alg].check_key(key)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError("JWK is not a valid public key") from exc
    if isinstance(key, RSAKey) and key.public_key.key_size < MIN_RSA_VERIFY_BITS:
        raise ValueError("RSA key too small")
    return VerificationKey(kid=kid, alg=alg, key=key)

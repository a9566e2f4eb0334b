"""The server's side of JWKs: the key objects it signs with, and the JWK it publishes for each key.

One key signs with exactly one algorithm, fixed at generation and written into its public JWK; everything that
verifies takes the algorithm from the key, never from a token header (RFC 8725 §3.1). ``kid`` is the RFC 7638
thumbprint of the public key, so it names the key material itself and can be recomputed to detect a mix-up.

Reading a published JWK into a verification key is ``tokenward_client.keys``: the server checks its own stored
keys by the same rules as a resource server checks a JWKS.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.jwk import ECKey, OKPKey, RSAKey

from tokenward.domain.keys.model import StoredKey
from tokenward_client.keys import PRIVATE_JWK_MEMBERS, VerificationKey, verification_key_from_jwk

#: a JOSE key object able to sign (private) or verify (public) with one of the supported algorithms
AsymmetricKey = ECKey | OKPKey | RSAKey


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The private key that signs new tokens, with the one algorithm it signs with."""

    kid: str
    alg: str
    key: AsymmetricKey

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r}, alg={self.alg!r})"


def as_jose_key(key: object) -> AsymmetricKey:
    """Wrap a ``cryptography`` key object as a joserfc key."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECKey.import_key(key)
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return OKPKey.import_key(key)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSAKey.import_key(key)
    raise ValueError("not a supported asymmetric key")


def published_key(stored: StoredKey) -> tuple[VerificationKey, AsymmetricKey]:
    """A stored key's public half, checked by the same rules as a key fetched from a JWKS, and as a joserfc key
    (the JWKS is re-derived from it)."""
    checked = verification_key_from_jwk(stored.public_jwk, algorithms=(stored.alg,))
    jose_key = as_jose_key(checked.key)
    return VerificationKey(kid=checked.kid, alg=checked.alg, key=jose_key), jose_key


def public_jwk(key: AsymmetricKey, *, kid: str, alg: str) -> dict[str, str]:
    """The JWK to publish: re-derived from the key, so only public members can ever appear (T-KEY-02)."""
    members = {name: str(value) for name, value in key.as_dict(private=False).items()}
    leaked = PRIVATE_JWK_MEMBERS & members.keys()
    if leaked:  # pragma: no cover - as_dict(private=False) never returns them; this guards a library change
        raise ValueError("refusing to publish a JWK with private members")
    return {**members, "kid": kid, "alg": alg, "use": "sig"}

"""Signing keys: JWK model, the key ring and its rotation, key encryption at rest, KEK rotation.

``KekRotation`` is imported from ``keys.kek_rotation`` instead of from here: it re-encrypts the TOTP secrets
too, so it builds on the MFA service, and through it on sessions and tokens, which import this package (an
import cycle if it were loaded here).
"""

from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.jwk import SigningKey, VerificationKey, public_jwk, verification_key_from_jwk
from tokenward.domain.keys.model import DEFAULT_ALGORITHM, SUPPORTED_ALGORITHMS, KeyState, StoredKey
from tokenward.domain.keys.ports import KeyRepository
from tokenward.domain.keys.ring import KeyRing, KeyRingHolder
from tokenward.domain.keys.rotation import KeyService, RotationPolicy

__all__ = [
    "DEFAULT_ALGORITHM",
    "SUPPORTED_ALGORITHMS",
    "KeyDecryptionError",
    "KeyEncryptor",
    "KeyRepository",
    "KeyRing",
    "KeyRingHolder",
    "KeyService",
    "KeyState",
    "RotationPolicy",
    "SigningKey",
    "StoredKey",
    "VerificationKey",
    "generate_key",
    "public_jwk",
    "verification_key_from_jwk",
]

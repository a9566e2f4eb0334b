"""Signing keys: the stored key, generation, the key ring, rotation, encryption at rest, KEK rotation.

Reading a published JWK into a verification key is the resource-server library's (``tokenward_client.keys``),
shared with the server so that both accept the same keys.

``KekRotation`` is imported from ``keys.kek_rotation`` instead of from here: it re-encrypts the TOTP secrets
too, so it builds on the MFA service, and through it on sessions and tokens, which import this package (an
import cycle if it were loaded here).
"""

from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.jwk import SigningKey, public_jwk
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
    "generate_key",
    "public_jwk",
]

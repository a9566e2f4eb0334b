"""Signing keys: the stored record and its life-cycle states (the storage port is in ``keys/ports.py``).

A key signs with exactly one algorithm, fixed when it is generated; verification takes the algorithm from the
key, never from a token's header. The private half is stored only encrypted under the key-encryption key (see
``keys/encryption.py``); the public half is stored as a JWK so the JWKS is served without decrypting anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# the algorithms Tokenward generates keys for are exactly those its verifier (tokenward_client) accepts
from tokenward_client.keys import SUPPORTED_ALGORITHMS as SUPPORTED_ALGORITHMS

DEFAULT_ALGORITHM = "ES256"


class KeyState(StrEnum):
    #: published in the JWKS, not yet signing, so caches learn it before its first token
    NEXT = "next"
    #: signs new tokens (exactly one key at a time)
    ACTIVE = "active"
    #: no longer signs; still published until every token it signed has expired
    RETIRED = "retired"
    #: withdrawn at once (compromise): not published, tokens it signed stop verifying
    REVOKED = "revoked"


PUBLISHED_STATES = frozenset({KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRED})


@dataclass(frozen=True, slots=True)
class StoredKey:
    kid: str
    alg: str
    state: KeyState
    #: the public JWK (``kty``, ``crv``/``x``/``y`` or ``n``/``e``, ``kid``, ``alg``, ``use``); never private members
    public_jwk: Mapping[str, str]
    #: AES-256-GCM ciphertext of the PKCS#8 private key, bound to ``kid`` as associated data
    encrypted_private_key: bytes
    created_at: datetime
    activated_at: datetime | None = None
    retired_at: datetime | None = None

"""Signing a compact JWS with the active key, in the one spelling verifiers accept.

joserfc signs ES256 with whatever ``s`` OpenSSL produces; half the time that is the upper-half twin of an
equally valid signature. Verifiers (``tokenward_client.signatures``) refuse the upper half so that a token has
exactly one spelling, so every token Tokenward signs goes through ``sign_compact``, which turns ``s`` into
``n - s`` when needed. Ed25519 and RSA signatures have one spelling already and pass unchanged.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from joserfc import jws

from tokenward.domain.keys.jwk import SigningKey
from tokenward_client.signatures import low_s


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_compact(key: SigningKey, header: Mapping[str, Any], payload: str | bytes) -> str:
    """``header.payload.signature`` signed by ``key`` with its one algorithm; ES256 with a low ``s``."""
    token = jws.serialize_compact(dict(header), payload, key.key, algorithms=[key.alg])
    if key.alg != "ES256":
        return token
    signing_input, _, signature = token.rpartition(".")
    return f"{signing_input}.{_b64encode(low_s(_b64decode(signature)))}"

"""Signing a compact JWS with the active key, in the one spelling verifiers accept.

joserfc signs ES256 with whatever ``s`` OpenSSL produces; half the time that is the upper-half twin of an
equally valid signature. Verifiers (``tokenward_client.signatures``) refuse the upper half so that a token has
exactly one spelling, so every token Tokenward signs goes through ``sign_compact``, which turns ``s`` into
``n - s`` when needed. Ed25519 and RSA signatures have one spelling already and pass unchanged.

The four algorithms Tokenward signs with are signed here straight through ``cryptography``, with the segments
joserfc writes (its header JSON, its base64url) and the padding and hash it uses: joserfc built a registry, a
signature object and checked the key for every token, a visible share of a refresh's CPU. The key comes from
the joserfc key's ``get_op_key("sign")``, so its ``key_ops`` are still obeyed; any other algorithm goes through
joserfc. ``tests/unit/domain/keys/test_signing.py`` holds the two to the same tokens.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jws

from tokenward.domain.keys.jwk import SigningKey
from tokenward_client.signatures import low_s

_ES256 = ec.ECDSA(hashes.SHA256())
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _es256(private: Any, signing_input: bytes) -> bytes:
    r, s = decode_dss_signature(private.sign(signing_input, _ES256))
    return low_s(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


#: alg -> how the private key signs the signing input, as joserfc's algorithm of that name does
_SIGNERS: dict[str, Callable[[Any, bytes], bytes]] = {
    "ES256": _es256,
    "Ed25519": lambda private, data: private.sign(data),
    "RS256": lambda private, data: private.sign(data, padding.PKCS1v15(), hashes.SHA256()),
    "PS256": lambda private, data: private.sign(data, _PSS, hashes.SHA256()),
}


def sign_compact(key: SigningKey, header: Mapping[str, Any], payload: str | bytes) -> str:
    """``header.payload.signature`` signed by ``key`` with its one algorithm; ES256 with a low ``s``."""
    signer = _SIGNERS.get(key.alg)
    if signer is None or header.get("alg") != key.alg:
        return _sign_with_joserfc(key, header, payload)
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    header_json = json.dumps(dict(header), ensure_ascii=True, separators=(",", ":")).encode("ascii")
    signing_input = f"{_b64encode(header_json)}.{_b64encode(data)}"
    signature = signer(key.key.get_op_key("sign"), signing_input.encode("ascii"))
    return f"{signing_input}.{_b64encode(signature)}"


def _sign_with_joserfc(key: SigningKey, header: Mapping[str, Any], payload: str | bytes) -> str:
    token = jws.serialize_compact(dict(header), payload, key.key, algorithms=[key.alg])
    if key.alg != "ES256":
        return token
    signing_input, _, signature = token.rpartition(".")
    return f"{signing_input}.{_b64encode(low_s(_b64decode(signature)))}"

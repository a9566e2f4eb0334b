"""A software WebAuthn authenticator on ``cryptography``, and the browser around it, for API tests.

It makes ES256 credentials and answers ``navigator.credentials.create`` / ``.get`` options the way a browser
and a platform authenticator would: ``clientDataJSON`` with type, challenge and origin; ``authenticatorData``
with the RP-id hash, the flags (UP, UV, BE, AT) and a sign counter; a ``none`` or ``packed`` (self)
attestation; an ECDSA signature over authenticator data and the client-data hash. Every value a test wants to
tamper with (origin, RP id, counter, user verification) can be overridden per call.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import encode_cbor

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40
AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return encode_cbor(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )


@dataclass
class SoftAuthenticator:
    """A platform authenticator holding discoverable ES256 credentials.

    ``counts`` False makes it keep no counter (always 0, like synced passkeys); ``synced`` sets BE and BS.
    """

    origin: str
    counts: bool = True
    synced: bool = False
    attestation: str = "packed"
    credentials: list[SoftCredential] = field(default_factory=list)

    def create(
        self,
        public_key: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """What ``navigator.credentials.create({publicKey})`` returns, as JSON."""
        rp = rp_id or public_key["rp"]["id"]
        credential = SoftCredential(
            credential_id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp,
            user_handle=unb64url(public_key["user"]["id"]),
        )
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        attested = AAGUID + struct.pack(">H", len(credential.credential_id)) + credential.credential_id
        auth_data = self._auth_data(rp, user_verified, FLAG_AT, 0) + attested + credential.cose_public_key()
        statement: dict[str, Any] = {}
        if self.attestation == "packed":
            statement = {"alg": -7, "sig": self._sign(credential, auth_data, client_data)}
        attestation_object = encode_cbor(
            {"fmt": self.attestation, "attStmt": statement, "authData": auth_data}
        )
        self.credentials.append(credential)
        return {
            "id": credential.id,
            "rawId": credential.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        public_key: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        credential: SoftCredential | None = None,
        sign_count: int | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """What ``navigator.credentials.get({publicKey})`` returns, as JSON (the newest credential by default,
        or the one ``allowCredentials`` names)."""
        chosen = credential or self._choose(public_key)
        if sign_count is not None:
            chosen.sign_count = sign_count
        elif self.counts:
            chosen.sign_count += 1
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        auth_data = self._auth_data(rp_id or chosen.rp_id, user_verified, 0, chosen.sign_count)
        return {
            "id": chosen.id,
            "rawId": chosen.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(self._sign(chosen, auth_data, client_data)),
                "userHandle": b64url(chosen.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _choose(self, public_key: dict[str, Any]) -> SoftCredential:
        allowed = {c["id"] for c in public_key.get("allowCredentials") or []}
        candidates = [c for c in self.credentials if not allowed or c.id in allowed]
        assert candidates, "the authenticator holds no credential these options allow"
        return candidates[-1]

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def _auth_data(self, rp_id: str, user_verified: bool, extra_flags: int, count: int) -> bytes:
        flags = FLAG_UP | extra_flags | (FLAG_UV if user_verified else 0)
        if self.synced:
            flags |= FLAG_BE | FLAG_BS
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count)

    @staticmethod
    def _sign(credential: SoftCredential, auth_data: bytes, client_data: bytes) -> bytes:
        return credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )

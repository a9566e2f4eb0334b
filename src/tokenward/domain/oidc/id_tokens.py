"""ID tokens (OpenID Connect Core §2): what the relying party learns about the sign-in, signed like access
tokens with the key ring's active key but typed ``JWT`` and addressed to the client (``aud`` = client id), so
neither kind can pass as the other.

``at_hash`` (§3.1.3.6) binds the ID token to the access token issued with it: the left half of the access
token's hash, with the hash function of the signing algorithm. ``id_token_hint`` at logout is read back with
``read_hint``: the signature and issuer must be ours; an expired ID token is still a fine hint (§2 of RP-Initiated
Logout), since it only names whom to sign out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tokenward.domain.clock import Clock
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.keys.signing import sign_compact
from tokenward.errors import InvalidRequest
from tokenward_client.errors import InvalidToken as RefusedByVerifier
from tokenward_client.verification import VerificationPolicy, parse_unverified

ID_TOKEN_TYPE = "JWT"
LOGOUT_TOKEN_TYPE = "logout+jwt"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME_SECONDS = 120
#: the hash behind each signing algorithm (Ed25519: SHA-512, as OpenID Foundation implementations agreed)
_HASHES: Mapping[str, Callable[[bytes], Any]] = {
    "ES256": hashlib.sha256,
    "RS256": hashlib.sha256,
    "PS256": hashlib.sha256,
    "Ed25519": hashlib.sha512,
    "EdDSA": hashlib.sha512,
}


def half_hash(value: str, alg: str) -> str:
    digest: bytes = _HASHES[alg](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class IdTokenSettings:
    issuer: str
    lifetime_seconds: int = 600


@dataclass(frozen=True, slots=True)
class IdTokenHint:
    subject: str
    audience: tuple[str, ...]
    session_id: str | None


class IdTokenIssuer:
    def __init__(
        self, key_ring_provider: Callable[[], KeyRing], settings: IdTokenSettings, clock: Clock
    ) -> None:
        self._key_ring_provider = key_ring_provider
        self._settings = settings
        self._clock = clock

    def issue(
        self,
        *,
        subject: str,
        client_id: str,
        session_id: str,
        auth_time: datetime,
        amr: Sequence[str],
        nonce: str | None,
        access_token: str,
    ) -> str:
        key = self._key_ring_provider().signing_key
        now = int(self._clock.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "sub": subject,
            "aud": client_id,
            "exp": now + self._settings.lifetime_seconds,
            "iat": now,
            "auth_time": int(auth_time.timestamp()),
            "amr": list(amr),
            "sid": session_id,
            "at_hash": half_hash(access_token, key.alg),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        header = {"alg": key.alg, "typ": ID_TOKEN_TYPE, "kid": key.kid}
        payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
        # one spelling per token, as for access tokens: a high-S ES256 signature would be refused as a hint
        return sign_compact(key, header, payload)

    def issue_logout_token(self, *, subject: str, client_id: str, session_id: str) -> str:
        """A logout token (OpenID Back-Channel Logout §2.4): who (``sub``) and which sign-in (``sid``) ended,
        for ``client_id``; typed ``logout+jwt`` and without ``nonce``, so it cannot pass as an ID token, and
        with a ``jti`` the client may use to refuse a replay."""
        key = self._key_ring_provider().signing_key
        now = int(self._clock.now().timestamp())
        claims = {
            "iss": self._settings.issuer,
            "sub": subject,
            "aud": client_id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_LIFETIME_SECONDS,
            "jti": secrets.token_urlsafe(16),
            "sid": session_id,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        header = {"alg": key.alg, "typ": LOGOUT_TOKEN_TYPE, "kid": key.kid}
        return sign_compact(key, header, json.dumps(claims, separators=(",", ":"), ensure_ascii=False))

    def read_hint(self, token: str) -> IdTokenHint:
        """The subject, audience and ``sid`` of an ID token this server signed (expired or not), else
        ``InvalidRequest``."""
        ring = self._key_ring_provider()
        policy = VerificationPolicy(
            issuer=self._settings.issuer, audiences=frozenset({"any"}), token_type=ID_TOKEN_TYPE
        )
        try:
            unverified = parse_unverified(token, policy)
        except RefusedByVerifier:
            raise InvalidRequest("id_token_hint is not an ID token of this server") from None
        key = ring.verification_key(unverified.kid)
        if key is None or key.alg != unverified.alg:
            raise InvalidRequest("id_token_hint is not an ID token of this server")
        if not key.check_signature(unverified.signing_input, unverified.signature):
            raise InvalidRequest("id_token_hint is not an ID token of this server")
        claims = unverified.payload
        aud = claims.get("aud")
        audience = (aud,) if isinstance(aud, str) else tuple(a for a in aud or () if isinstance(a, str))
        subject, sid = claims.get("sub"), claims.get("sid")
        if claims.get("iss") != self._settings.issuer or not isinstance(subject, str) or not audience:
            raise InvalidRequest("id_token_hint is not an ID token of this server")
        return IdTokenHint(subject, audience, sid if isinstance(sid, str) else None)

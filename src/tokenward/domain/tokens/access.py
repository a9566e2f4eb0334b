"""Issuing access tokens: short-lived JWTs (RFC 9068 profile) signed with the active key.

The header is exactly ``{"alg", "typ": "at+jwt", "kid"}``: explicit typing (RFC 8725 §3.11) keeps other token
kinds from passing as access tokens, and nothing else in the header can steer a verifier. The claims name the
user only by an opaque id (no e-mail or other personal data: access tokens end up in logs and browser memory).

``aud`` is a single string when one audience is configured and a list otherwise (both allowed by RFC 7519
§4.1.3); the single-string form is what most resource-server libraries expect and keeps tokens short.
Signing goes through ``keys.signing.sign_compact``, so an ES256 token carries its one (low-S) signature.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tokenward.domain.clock import Clock
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.keys.signing import sign_compact
from tokenward_client.verification import ACCESS_TOKEN_TYPE

MAX_ACCESS_TOKEN_LIFETIME = 3600
#: 16 random bytes: 128 bits, unguessable and collision-free for a token's life
JTI_BYTES = 16


@dataclass(frozen=True, slots=True)
class AccessTokenSettings:
    issuer: str
    audiences: tuple[str, ...]
    lifetime_seconds: int = 600

    def __post_init__(self) -> None:
        if not self.issuer:
            raise ValueError("the issuer must not be empty")
        if not self.audiences or not all(isinstance(a, str) and a for a in self.audiences):
            raise ValueError("at least one non-empty audience is required")
        # a stolen access token cannot be revoked before it expires, so its life is kept short
        if (
            isinstance(self.lifetime_seconds, bool)
            or not 1 <= self.lifetime_seconds <= MAX_ACCESS_TOKEN_LIFETIME
        ):
            raise ValueError(f"lifetime_seconds must be between 1 and {MAX_ACCESS_TOKEN_LIFETIME}")


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_at: datetime
    expires_in: int

    def __repr__(self) -> str:
        return f"IssuedAccessToken(jti={self.jti!r}, expires_at={self.expires_at!r})"


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return int(moment.timestamp())


class AccessTokenIssuer:
    """Signs access tokens with the key ring's active key.

    ``key_ring_provider`` is called per token so that a rotated key ring is picked up without rebuilding the
    issuer.
    """

    def __init__(
        self, key_ring_provider: Callable[[], KeyRing], settings: AccessTokenSettings, clock: Clock
    ) -> None:
        self._key_ring_provider = key_ring_provider
        self._settings = settings
        self._clock = clock

    def issue(
        self,
        *,
        subject: str,
        session_id: str,
        scope: str,
        amr: Sequence[str],
        auth_time: datetime,
        client_id: str | None = None,
    ) -> IssuedAccessToken:
        """``client_id`` (RFC 9068 §2.2) names the registered client the token was issued to, if any."""
        if not subject or not session_id:
            raise ValueError("subject and session_id are required")
        key = self._key_ring_provider().signing_key
        issued_at = _seconds(self._clock.now())
        expires = issued_at + self._settings.lifetime_seconds
        jti = secrets.token_urlsafe(JTI_BYTES)
        audiences = self._settings.audiences
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "sub": subject,
            "aud": audiences[0] if len(audiences) == 1 else list(audiences),
            "exp": expires,
            "iat": issued_at,
            "nbf": issued_at,
            "jti": jti,
            "sid": session_id,
            "scope": " ".join(scope.split()),
            "amr": list(amr),
            "auth_time": _seconds(auth_time),
        }
        if client_id is not None:
            claims["client_id"] = client_id
        header = {"alg": key.alg, "typ": ACCESS_TOKEN_TYPE, "kid": key.kid}
        payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
        token = sign_compact(key, header, payload)
        return IssuedAccessToken(
            token=token,
            jti=jti,
            expires_at=datetime.fromtimestamp(expires, UTC),
            expires_in=self._settings.lifetime_seconds,
        )

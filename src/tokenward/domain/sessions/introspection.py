"""Token introspection (RFC 7662) for registered API clients.

The answer for anything invalid, expired, revoked or unknown is exactly ``{"active": false}``: no reason, so a
caller learns nothing about why (§2.2). An active access token is described by its verified claims; an active
refresh token by its subject, session and expiry. The work per call is bounded to what authentication of an
access token already costs: a signature check (skipped for a token verified before, by the verified-token
cache), one deny-list look-up, and a session read only where the deny-list cannot answer alone (in-process
deny-lists; Redis holds every process's revocations), and nothing here hashes a password.

The ``token_type_hint`` only decides which kind is tried first (§2.1: the server must look further when the
hint is wrong); the two kinds cannot be mistaken for each other anyway (``twr_`` opaque strings vs. JWTs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tokenward.domain.sessions.refresh_tokens import looks_like_refresh_token
from tokenward.domain.sessions.service import SessionService
from tokenward.errors import InvalidToken

INACTIVE: dict[str, Any] = {"active": False}
ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"


def _seconds(value: datetime) -> int:
    return int(value.timestamp())


class Introspector:
    def __init__(self, sessions: SessionService) -> None:
        self._sessions = sessions

    async def introspect(self, token: str) -> dict[str, Any]:
        if looks_like_refresh_token(token):
            return await self._refresh_token(token)
        return await self._access_token(token)

    async def _access_token(self, token: str) -> dict[str, Any]:
        try:
            claims = await self._sessions.verify_unrevoked(token)
        except InvalidToken:
            return dict(INACTIVE)
        answer: dict[str, Any] = {
            "active": True,
            "token_type": "Bearer",
            "scope": " ".join(claims.scope),
            "sub": claims.subject,
            "aud": list(claims.audience) if len(claims.audience) > 1 else claims.audience[0],
            "iss": claims.issuer,
            "exp": _seconds(claims.expires_at),
            "iat": _seconds(claims.issued_at),
            "jti": claims.jti,
            "sid": claims.session_id,
            "amr": list(claims.amr),
        }
        if claims.not_before is not None:
            answer["nbf"] = _seconds(claims.not_before)
        if claims.auth_time is not None:
            answer["auth_time"] = _seconds(claims.auth_time)
        return answer

    async def _refresh_token(self, token: str) -> dict[str, Any]:
        found = await self._sessions.find_active_refresh_token(token)
        if found is None:
            return dict(INACTIVE)
        record, session = found
        return {
            "active": True,
            "token_type": REFRESH_TOKEN,
            "scope": session.scope,
            "sub": session.user_id,
            "sid": session.id,
            "exp": _seconds(min(record.expires_at, session.expires_at)),
            "iat": _seconds(record.created_at),
        }

"""OpenID Connect: authorization codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tests.fakes.base import DuplicateKey
from tokenward.domain.oidc.codes import AuthorizationCode, Redemption


class FakeAuthorizationCodeRepository:
    def __init__(self) -> None:
        self._codes: dict[str, AuthorizationCode] = {}

    async def add(self, code: AuthorizationCode) -> None:
        if code.code_hash in self._codes:
            raise DuplicateKey("duplicate authorization code")
        self._codes[code.code_hash] = code

    async def consume(self, code_hash: str, now: datetime, token_session_id: str) -> Redemption | None:
        code = self._codes.get(code_hash)
        if code is None:
            return None
        if code.used_at is not None:
            return Redemption(code, first_use=False)
        used = replace(code, used_at=now, token_session_id=token_session_id)
        self._codes[code_hash] = used
        return Redemption(used, first_use=True)

    async def mark_replayed(self, code_hash: str, now: datetime) -> None:
        code = self._codes.get(code_hash)
        if code is not None and code.replayed_at is None:
            self._codes[code_hash] = replace(code, replayed_at=now)

    async def get(self, code_hash: str) -> AuthorizationCode | None:
        return self._codes.get(code_hash)

    async def delete_expired(self, before: datetime) -> int:
        expired = [key for key, code in self._codes.items() if code.expires_at < before]
        for key in expired:
            del self._codes[key]
        return len(expired)

"""Sessions: the session and refresh-token repository, and the deny-list."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime

from tests.fakes.accounts import FakeUserRepository
from tests.fakes.base import DuplicateKey
from tokenward.domain.clock import Clock
from tokenward.domain.sessions.model import RefreshTokenRecord, Rotation, RotationTerms, Session


class FakeSessionRepository:
    def __init__(self, users: FakeUserRepository) -> None:
        """``users``: the user store, read by ``rotate_current`` (a database joins the two tables)."""
        self._users = users
        self._sessions: dict[str, Session] = {}
        self._tokens: dict[str, RefreshTokenRecord] = {}

    async def create(self, session: Session, first_token: RefreshTokenRecord) -> None:
        if session.id in self._sessions or first_token.token_hash in self._tokens:
            raise DuplicateKey("duplicate session id or refresh token hash")
        self._sessions[session.id] = session
        self._tokens[first_token.token_hash] = first_token

    async def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def find_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None:
        return self._tokens.get(token_hash)

    async def find_refresh_token_and_session(
        self, token_hash: str
    ) -> tuple[RefreshTokenRecord, Session] | None:
        token = self._tokens.get(token_hash)
        session = self._sessions.get(token.session_id) if token else None
        return None if token is None or session is None else (token, session)

    async def rotate(self, old_hash: str, successor: RefreshTokenRecord, now: datetime) -> bool:
        old = self._tokens.get(old_hash)
        if old is None or old.rotated_at is not None or old.revoked_at is not None:
            return False
        if successor.token_hash in self._tokens:
            raise DuplicateKey("duplicate refresh token hash")
        self._tokens[old_hash] = replace(old, rotated_at=now)
        self._tokens[successor.token_hash] = successor
        await self.touch(successor.session_id, now)
        return True

    @asynccontextmanager
    async def rotate_current(
        self, old_hash: str, successor_hash: str, terms: RotationTerms
    ) -> AsyncIterator[Rotation | None]:
        rotation = await self._rotation(old_hash, successor_hash, terms)
        if rotation is None:
            yield None
            return
        saved = (dict(self._sessions), dict(self._tokens))
        self._tokens[old_hash] = replace(self._tokens[old_hash], rotated_at=terms.now)
        self._tokens[successor_hash] = rotation.successor
        self._sessions[rotation.session.id] = rotation.session
        try:
            yield rotation
        except BaseException:
            self._sessions, self._tokens = saved  # the block failed: roll back
            raise

    async def _rotation(self, old_hash: str, successor_hash: str, terms: RotationTerms) -> Rotation | None:
        old = self._tokens.get(old_hash)
        session = self._sessions.get(old.session_id) if old else None
        if old is None or session is None or old.rotated_at or old.revoked_at or session.revoked_at:
            return None
        user = await self._users.get(session.user_id)
        now = terms.now
        if user is None or user.disabled or not now < old.expires_at or not now < session.expires_at:
            return None
        if not session.last_used_at > terms.idle_before:
            return None
        if successor_hash in self._tokens:
            raise DuplicateKey("duplicate refresh token hash")
        successor = RefreshTokenRecord(
            token_hash=successor_hash,
            session_id=session.id,
            family_id=session.family_id,
            user_id=session.user_id,
            created_at=now,
            expires_at=min(terms.idle_end, session.expires_at),
        )
        return Rotation(session=replace(session, last_used_at=now), successor=successor)

    async def touch(self, session_id: str, now: datetime) -> None:
        if session_id in self._sessions:
            self._sessions[session_id] = replace(self._sessions[session_id], last_used_at=now)

    async def revoke(self, session_id: str, now: datetime, reason: str) -> bool:
        return bool(self._revoke([session_id], now, reason))

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, reason: str, *, except_session_id: str | None = None
    ) -> list[str]:
        ids = [s.id for s in self._sessions.values() if s.user_id == user_id and s.id != except_session_id]
        return self._revoke(ids, now, reason)

    async def list_for_user(self, user_id: str, *, active_only: bool = True) -> list[Session]:
        mine = [s for s in self._sessions.values() if s.user_id == user_id and (s.active or not active_only)]
        by_id = sorted(mine, key=lambda s: s.id)
        return sorted(by_id, key=lambda s: s.created_at, reverse=True)

    async def delete_ended(self, *, now: datetime, idle_before: datetime, revoked_before: datetime) -> int:
        ended = {
            s.id
            for s in self._sessions.values()
            if s.expires_at <= now
            or s.last_used_at < idle_before
            or (s.revoked_at is not None and s.revoked_at < revoked_before)
        }
        self._tokens = {h: t for h, t in self._tokens.items() if t.session_id not in ended}
        self._sessions = {i: s for i, s in self._sessions.items() if i not in ended}
        return len(ended)

    async def delete_expired_refresh_tokens(self, expired_before: datetime) -> int:
        before = len(self._tokens)
        self._tokens = {h: t for h, t in self._tokens.items() if t.expires_at >= expired_before}
        return before - len(self._tokens)

    async def set_amr_for_user(self, user_id: str, amr: tuple[str, ...]) -> int:
        changed = [s for s in self._sessions.values() if s.user_id == user_id and s.active]
        for session in changed:
            self._sessions[session.id] = replace(session, amr=amr)
        return len(changed)

    def _revoke(self, session_ids: Sequence[str], now: datetime, reason: str) -> list[str]:
        revoked = sorted(i for i in session_ids if i in self._sessions and self._sessions[i].active)
        for session_id in revoked:
            self._sessions[session_id] = replace(
                self._sessions[session_id], revoked_at=now, revoked_reason=reason
            )
        for token_hash, token in self._tokens.items():
            if token.session_id in revoked and token.revoked_at is None:
                self._tokens[token_hash] = replace(token, revoked_at=now)
        return revoked


class FakeDenyList:
    def __init__(self, clock: Clock, *, complete: bool = False) -> None:
        self.complete = complete
        self._clock = clock
        self._until: dict[str, datetime] = {}

    async def deny_session(self, session_id: str, until: datetime) -> None:
        self._deny("s:" + session_id, until)

    async def deny_token(self, jti: str, until: datetime) -> None:
        self._deny("t:" + jti, until)

    async def is_denied(self, session_id: str, jti: str) -> bool:
        now = self._clock.now()
        return any(self._until.get(key, now) > now for key in ("s:" + session_id, "t:" + jti))

    def _deny(self, key: str, until: datetime) -> None:
        if until > self._clock.now():
            self._until[key] = max(until, self._until.get(key, until))

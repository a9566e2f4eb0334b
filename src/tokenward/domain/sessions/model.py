"""Sessions and refresh tokens: the records and the storage port.

A session starts at sign-in and ends at logout, revocation, or when its idle or absolute lifetime runs out.
It owns one refresh-token family: every refresh rotates the token, the old one is kept (as a hash) so that a
later reuse can be recognised and the whole family revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class RevokeReason(StrEnum):
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    PASSWORD_CHANGED = "password_changed"
    REFRESH_TOKEN_REUSE = "refresh_token_reuse"
    USER_DISABLED = "user_disabled"
    ADMIN = "admin"
    USER_REQUEST = "user_request"
    PASSWORD_RESET = "password_reset"
    REPORTED_NOT_ME = "reported_not_me"
    #: RFC 7009 revocation of one of its refresh tokens
    TOKEN_REVOKED = "token_revoked"
    #: the authorization code it was issued from was presented again
    CODE_REPLAYED = "code_replayed"
    #: the browser session it came from was signed out (RP-initiated logout)
    BROWSER_SIGNED_OUT = "browser_signed_out"


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: str
    family_id: str
    created_at: datetime
    last_used_at: datetime
    #: absolute end: no refresh extends a session past it
    expires_at: datetime
    auth_time: datetime
    amr: tuple[str, ...]
    scope: str
    ip: str | None = None
    user_agent: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    #: the registered client the session's tokens were issued to (``None``: this server's own API)
    client_id: str | None = None
    #: for a client's session: the browser session the user signed in with; ending it ends this one too
    browser_session_id: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    """What is stored of a refresh token: its SHA-256 hash, never the token."""

    token_hash: str
    session_id: str
    family_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    #: set when a refresh replaced this token; a later use is either a benign race (inside the grace window)
    #: or a reuse (after it)
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None


class SessionRepository(Protocol):
    async def create(self, session: Session, first_token: RefreshTokenRecord) -> None:
        """Store a new session and its first refresh token in one transaction."""
        ...

    async def get(self, session_id: str) -> Session | None: ...

    async def find_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None: ...

    async def find_refresh_token_and_session(
        self, token_hash: str
    ) -> tuple[RefreshTokenRecord, Session] | None:
        """The refresh token and its session, read together (one transaction: the refresh hot path)."""
        ...

    async def rotate(self, old_hash: str, successor: RefreshTokenRecord, now: datetime) -> bool:
        """Atomically replace a current refresh token by ``successor``.

        In one transaction: mark ``old_hash`` rotated at ``now`` only if it is neither rotated nor revoked,
        insert ``successor`` and set the session's ``last_used_at`` to ``now``. Returns ``True`` for the one
        caller that won; every concurrent caller with the same ``old_hash`` gets ``False`` and changes nothing.
        """
        ...

    async def touch(self, session_id: str, now: datetime) -> None:
        """Record use of the session (``last_used_at``)."""
        ...

    async def revoke(self, session_id: str, now: datetime, reason: str) -> bool:
        """Revoke the session and every refresh token of its family; ``False`` if it was not active."""
        ...

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, reason: str, *, except_session_id: str | None = None
    ) -> list[str]:
        """Revoke every active session of the user (but one, if named); return the revoked ids."""
        ...

    async def list_for_user(self, user_id: str, *, active_only: bool = True) -> list[Session]: ...

    async def delete_ended(self, *, now: datetime, idle_before: datetime, revoked_before: datetime) -> int:
        """Clean-up: delete sessions past ``expires_at`` (absolute end), unused since before ``idle_before``, or
        revoked before ``revoked_before``, with their refresh tokens; return how many sessions went."""
        ...

    async def delete_expired_refresh_tokens(self, expired_before: datetime) -> int:
        """Clean-up: delete refresh tokens (rotated ones included) that expired before ``expired_before``."""
        ...

    async def set_amr_for_user(self, user_id: str, amr: tuple[str, ...]) -> int:
        """Set the authentication methods of every active session of the user (a factor was removed, so
        tokens refreshed from then on claim less); return how many sessions changed."""
        ...

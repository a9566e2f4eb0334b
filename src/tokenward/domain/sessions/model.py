"""Sessions and refresh tokens: the records (their storage port is in ``sessions/ports.py``).

A session starts at sign-in and ends at logout, revocation, or when its idle or absolute lifetime runs out.
It owns one refresh-token family: every refresh rotates the token, the old one is kept (as a hash) so that a
later reuse can be recognised and the whole family revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
    ACCOUNT_ERASED = "account_erased"
    #: the user removed the client's access (its consent)
    CONSENT_REVOKED = "consent_revoked"


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


@dataclass(frozen=True, slots=True)
class RotationTerms:
    """When a refresh token may be rotated at ``now`` (the rules of ``SessionService``, as values a storage
    can check in one statement): the session's last use after ``idle_before`` (``now`` minus the idle
    lifetime), and a successor that expires at ``idle_end`` (``now`` plus the idle lifetime) or at the
    session's absolute end, whichever comes first."""

    now: datetime
    idle_before: datetime
    idle_end: datetime


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a successful rotation wrote: the session as it is now (touched) and the successor token."""

    session: Session
    successor: RefreshTokenRecord

"""Sessions: the session record, refresh tokens and their rotation, the deny-list, introspection."""

from tokenward.domain.sessions.denylist import DenyPolicy, Revocations
from tokenward.domain.sessions.introspection import Introspector
from tokenward.domain.sessions.model import RefreshTokenRecord, RevokeReason, Session
from tokenward.domain.sessions.ports import DenyList, SessionRepository
from tokenward.domain.sessions.service import Principal, SessionService, SessionSettings, TokenPair
from tokenward.domain.sessions.user_agents import device_name

__all__ = [
    "DenyList",
    "DenyPolicy",
    "Introspector",
    "Principal",
    "RefreshTokenRecord",
    "Revocations",
    "RevokeReason",
    "Session",
    "SessionRepository",
    "SessionService",
    "SessionSettings",
    "TokenPair",
    "device_name",
]

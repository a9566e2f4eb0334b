"""Administration of accounts by an operator: the admin API (``/v1/admin``) and the CLI share this service.

Every action, reads included, is recorded in the audit trail with the acting API client (or ``cli``), so the
trail answers "who looked at or changed this account, and when".
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from tokenward.domain.accounts.directory import UserDirectory
from tokenward.domain.accounts.email_addresses import canonical_email
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.privacy import Actor, PrivacyService
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.audit.log import AuditLog, AuditPage, AuditQuery
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.flows import EmailVerification
from tokenward.domain.mfa import MfaService
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import SessionService
from tokenward.errors import Conflict, InvalidRequest, NotFound

MAX_USERS_PAGE = 200
FACTORS = ("totp",)


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[User]
    next_cursor: str | None


def user_summary(user: User) -> dict[str, Any]:
    """A user as an operator sees them: never the password hash."""
    return {
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "display_name": user.display_name,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "updated_at": user.updated_at.isoformat(),
        "password_changed_at": user.password_changed_at.isoformat() if user.password_changed_at else None,
        "has_password": user.password_hash is not None,
    }


def _encode_cursor(user_id: str) -> str:
    return base64.urlsafe_b64encode(f"user:{user_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("The cursor is not one this server gave out") from None
    prefix, _, user_id = text.partition(":")
    if prefix != "user" or not user_id or len(user_id) > 64:
        raise InvalidRequest("The cursor is not one this server gave out")
    return user_id


class AdminService:
    def __init__(
        self,
        *,
        users: UserRepository,
        directory: UserDirectory,
        sessions: SessionService,
        mfa: MfaService,
        verification: EmailVerification,
        privacy: PrivacyService,
        audit_log: AuditLog,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._users = users
        self._directory = directory
        self._sessions = sessions
        self._mfa = mfa
        self._verification = verification
        self._privacy = privacy
        self._audit_log = audit_log
        self._audit = audit
        self._clock = clock

    async def find(self, id_or_email: str) -> User:
        """A user by id, or by e-mail address when the argument has an ``@``."""
        if len(id_or_email) > 320:
            raise NotFound("No such user")
        if "@" in id_or_email:
            user = await self._users.get_by_email(canonical_email(id_or_email))
        else:
            user = await self._users.get(id_or_email)
        if user is None:
            raise NotFound("No such user")
        return user

    async def list_users(
        self, actor: Actor, context: RequestContext, *, query: str | None, cursor: str | None, limit: int
    ) -> UserPage:
        if not 1 <= limit <= MAX_USERS_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_USERS_PAGE}")
        if query is not None and len(query) > 320:
            raise InvalidRequest("The query is too long")
        after = _decode_cursor(cursor) if cursor else None
        prefix = canonical_email(query) if query else None
        found = await self._directory.search(query=prefix, after_id=after, limit=limit)
        await self._record(AuditEventType.ADMIN_USERS_LISTED, None, actor, context, count=len(found))
        more = len(found) == limit
        return UserPage(found, _encode_cursor(found[-1].id) if more else None)

    async def overview(self, actor: Actor, context: RequestContext, id_or_email: str) -> dict[str, Any]:
        """The user, their factors, active sessions, known devices and last sign-in."""
        user = await self.find(id_or_email)
        rows = await self._directory.personal_rows(user.id)
        last = await self._audit_log.list_events(
            user_id=user.id, event_type=AuditEventType.LOGIN_SUCCEEDED, limit=1
        )
        sessions = await self._sessions.list_sessions(user.id)
        await self._record(AuditEventType.ADMIN_USER_VIEWED, user.id, actor, context)
        return {
            "user": user_summary(user),
            "factors": {
                "totp": [
                    {"id": row["id"], "created_at": row["created_at"], "confirmed_at": row["confirmed_at"]}
                    for row in rows["totp_factors"]
                ],
                "recovery_codes_left": await self._mfa.unused_recovery_codes(user.id),
            },
            "sessions": [
                {
                    "id": session.id,
                    "created_at": session.created_at.isoformat(),
                    "last_used_at": session.last_used_at.isoformat(),
                    "amr": list(session.amr),
                    "ip": session.ip,
                    "user_agent": session.user_agent,
                }
                for session in sessions
            ],
            "devices": rows["known_devices"],
            "last_sign_in": last[0].at.isoformat() if last else None,
        }

    async def set_disabled(
        self, actor: Actor, context: RequestContext, id_or_email: str, disabled: bool
    ) -> User:
        user = await self.find(id_or_email)
        user = user.with_changes(disabled=disabled, updated_at=self._clock.now())
        await self._users.update(user)
        ended = len(await self._sessions.revoke_all(user.id, RevokeReason.USER_DISABLED)) if disabled else 0
        event = AuditEventType.USER_DISABLED if disabled else AuditEventType.USER_ENABLED
        await self._record(event, user.id, actor, context, sessions_ended=ended)
        return user

    async def end_sessions(self, actor: Actor, context: RequestContext, id_or_email: str) -> int:
        user = await self.find(id_or_email)
        ended = len(await self._sessions.revoke_all(user.id, RevokeReason.ADMIN))
        await self._record(AuditEventType.ADMIN_SESSIONS_ENDED, user.id, actor, context, sessions_ended=ended)
        return ended

    async def remove_factor(
        self, actor: Actor, context: RequestContext, id_or_email: str, factor: str
    ) -> None:
        if factor not in FACTORS:
            raise NotFound(f"No such factor; known factors: {', '.join(FACTORS)}")
        user = await self.find(id_or_email)
        if not await self._mfa.remove_totp_for_user(user.id):
            raise NotFound("The user has no such factor")
        await self._record(AuditEventType.ADMIN_FACTOR_REMOVED, user.id, actor, context, factor=factor)

    async def resend_verification(self, actor: Actor, context: RequestContext, id_or_email: str) -> None:
        user = await self.find(id_or_email)
        if user.email_verified:
            raise Conflict("The address is already verified")
        await self._verification.send(user, context)
        await self._record(AuditEventType.ADMIN_VERIFICATION_RESENT, user.id, actor, context)

    async def erase(self, actor: Actor, context: RequestContext, id_or_email: str) -> str:
        user = await self.find(id_or_email)
        await self._privacy.erase(user, context, actor)
        return user.id

    async def audit_events(self, actor: Actor, context: RequestContext, query: AuditQuery) -> AuditPage:
        page = await self._audit_log.search(query)
        await self._record(AuditEventType.ADMIN_AUDIT_READ, None, actor, context, count=len(page.events))
        return page

    async def denied(self, actor: Actor, context: RequestContext, action: str) -> None:
        """An API client without the ``admin`` scope tried an admin action: recorded, then refused."""
        await self._record(
            AuditEventType.ADMIN_ACCESS_DENIED, None, actor, context, outcome="refused", action=action
        )

    async def _record(
        self,
        event_type: str,
        user_id: str | None,
        actor: Actor,
        context: RequestContext,
        *,
        outcome: str = "success",
        **details: object,
    ) -> None:
        fields: dict[str, Any] = {**actor.details(), **details}
        await self._audit.record(event_type, context, outcome=outcome, user_id=user_id, **fields)

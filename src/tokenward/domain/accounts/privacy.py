"""A user's own data: the export of everything held about them, and the erasure of their account.

Both need a sign-in from the last few minutes (``RecentSignInRequired``): a stolen long-lived session must
not be enough to walk away with the whole history or to delete the account. Erasure also needs the password
and, while any second factor is set up, a current one (TOTP or recovery code, passkey, SMS or e-mail code),
through the same check as any change to how the account is protected.

Erasure, in this order, so that a sign-in racing it can never leave a half-erased account:
1. the account is disabled (a sign-in that has not yet checked the account stops here);
2. every session is ended and its access tokens denied;
3. the user's audit data key is destroyed (crypto-shredding: the personal fields of every audit event about
   them become unreadable; the hash chain is untouched);
4. the user row is deleted, and with it every row that references it (sessions a racing sign-in created after
   step 2 included: the database cascades the delete, or refuses the racing insert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.directory import UserDirectory
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.audit.log import AuditLog
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.mfa import MfaService
from tokenward.domain.mfa.proofs import FactorProof
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import Principal, SessionService
from tokenward.errors import InvalidCredentials, NotFound, RecentSignInRequired

EXPORT_FORMAT = "tokenward.personal-data/1"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked for an administrative action: the user themselves, an API client, or the command line."""

    kind: str
    id: str | None = None

    def details(self) -> dict[str, Any]:
        return {"by": self.kind} if self.id is None else {"by": self.kind, "by_id": self.id}


SELF = Actor("user")
OPERATOR = Actor("cli")


def require_recent_sign_in(principal: Principal, now: datetime, window: timedelta) -> None:
    auth_time = principal.claims.auth_time
    if auth_time is None or now - auth_time > window:
        raise RecentSignInRequired(
            "Sign in again: this needs a sign-in from the last few minutes (POST /v1/login)"
        )


class PrivacyService:
    def __init__(
        self,
        *,
        users: UserRepository,
        directory: UserDirectory,
        audit_log: AuditLog,
        audit: AuditTrail,
        sessions: SessionService,
        credentials: Credentials,
        mfa: MfaService,
        clock: Clock,
        recent_sign_in: timedelta,
    ) -> None:
        self._users = users
        self._directory = directory
        self._audit_log = audit_log
        self._audit = audit
        self._sessions = sessions
        self._credentials = credentials
        self._mfa = mfa
        self._clock = clock
        self._recent = recent_sign_in

    async def export_own(self, principal: Principal, context: RequestContext) -> dict[str, Any]:
        require_recent_sign_in(principal, self._clock.now(), self._recent)
        document = await self.export(principal.user.id)
        await self._record(AuditEventType.PERSONAL_DATA_EXPORTED, principal.user.id, context, SELF)
        return document

    async def export(self, user_id: str) -> dict[str, Any]:
        """Everything held about the user as one JSON-ready document; secrets are never part of it."""
        rows = await self._directory.personal_rows(user_id)
        if not rows.get("users"):
            raise NotFound("No such user")
        events = [event.as_dict() async for event in self._audit_log.every_event(user_id=user_id)]
        return {
            "format": EXPORT_FORMAT,
            "exported_at": self._clock.now().isoformat(),
            "user": rows.pop("users")[0],
            "data": {**rows, "audit_events": events},
        }

    async def erase_own(
        self,
        principal: Principal,
        password: str,
        proof: FactorProof | str | None,
        context: RequestContext,
    ) -> None:
        """The password, then (while any second factor is set up) a current factor of the user's choice,
        checked by ``MfaService.require_current_factor`` as for a change of the factors."""
        user = principal.user
        require_recent_sign_in(principal, self._clock.now(), self._recent)
        if not (await self._credentials.verify(user.password_hash, password)).ok:
            raise InvalidCredentials("The password is wrong")
        await self._mfa.require_current_factor(user, proof, context)
        await self.erase(user, context, SELF)

    async def erase(self, user: User, context: RequestContext, actor: Actor) -> None:
        """Erase the account (the steps in the module docstring); safe to repeat after a failure."""
        current = await self._users.get(user.id)
        if current is not None and not current.disabled:
            await self._users.update(current.with_changes(disabled=True, updated_at=self._clock.now()))
        ended = await self._sessions.revoke_all(user.id, RevokeReason.ACCOUNT_ERASED)
        # recorded before the key goes, so its own personal fields are shredded with the rest
        await self._record(AuditEventType.ACCOUNT_ERASED, user.id, context, actor, sessions_ended=len(ended))
        await self._audit_log.forget_user(user.id)
        await self._directory.delete_user(user.id)

    async def _record(
        self, event_type: str, user_id: str, context: RequestContext, actor: Actor, **details: object
    ) -> None:
        fields: dict[str, Any] = {**actor.details(), **details}
        await self._audit.record(event_type, context, user_id=user_id, **fields)

"""E-mail verification and password reset: the flows that prove control of an address.

Links are built only from the configured public URL (``EmailFlowSettings.public_url``), never from anything
in a request, so a forged ``Host`` or ``X-Forwarded-Host`` header cannot point a reset link at an attacker's
site (reset poisoning). The token travels in the URL fragment: browsers do not send fragments to servers, so
it stays out of access logs and ``Referer`` headers of the page that handles the link.

``forgot`` gives the caller nothing to learn: the route answers the same way for every address, a token is
generated either way, and delivery happens in the background (the mailer returns before any SMTP work).

A reset sets a new password under the usual policy, ends every session and refresh family, marks the address
verified (the link proved control of it), and leaves MFA on: the next sign-in still asks for the factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tokenward.domain.abuse.throttle import Throttle
from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.email_addresses import canonical_email
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.model import EmailMessage
from tokenward.domain.email.one_time_tokens import (
    OneTimeTokens,
    TokenPurpose,
    hash_opaque_token,
    new_opaque_token,
)
from tokenward.domain.email.ports import Mailer
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import SessionService
from tokenward.errors import InvalidOneTimeToken

MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True, slots=True)
class EmailFlowSettings:
    service_name: str
    #: every link starts with this (``Settings.effective_public_url``), never with a request's host
    public_url: str
    verification_lifetime: timedelta = timedelta(hours=24)
    reset_lifetime: timedelta = timedelta(minutes=30)
    verify_path: str = "/account/verify-email"
    reset_path: str = "/account/reset-password"

    def link(self, path: str, token: str) -> str:
        return f"{self.public_url.rstrip('/')}{path}#token={token}"


class _Flow:
    def __init__(
        self,
        *,
        users: UserRepository,
        tokens: OneTimeTokens,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        settings: EmailFlowSettings,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._mailer = mailer
        self._audit = audit
        self._clock = clock
        self._settings = settings


class EmailVerification(_Flow):
    async def send(self, user: User, context: RequestContext) -> None:
        """Send a verification link for the user's current address (earlier links stop working)."""
        if user.email_verified:
            return
        token = await self._tokens.issue(
            TokenPurpose.EMAIL_VERIFICATION,
            user.id,
            self._settings.verification_lifetime,
            email=user.email,
            replace_earlier=True,
        )
        name = self._settings.service_name
        await self._mailer.send(
            EmailMessage(
                to=user.email,
                kind="email_verification",
                subject=f"Confirm your e-mail address for {name}",
                body=(
                    f"Please confirm that this address belongs to your {name} account by opening this link:\n\n"
                    f"{self._settings.link(self._settings.verify_path, token)}\n\n"
                    "The link works once and expires in "
                    f"{_hours(self._settings.verification_lifetime)}. If you did not create an account, "
                    "you can ignore this message."
                ),
            )
        )
        await self._audit.record(AuditEventType.EMAIL_VERIFICATION_SENT, context, user_id=user.id)

    async def verify(self, token: str, context: RequestContext) -> None:
        record = await self._tokens.consume(TokenPurpose.EMAIL_VERIFICATION, token)
        user = await self._users.get(record.user_id)
        # the token names the address it was sent to: after a change of address it proves nothing
        if (
            user is None
            or record.email is None
            or canonical_email(record.email) != canonical_email(user.email)
        ):
            raise InvalidOneTimeToken()
        if not user.email_verified:
            await self._users.update(user.with_changes(email_verified=True, updated_at=self._clock.now()))
        await self._audit.record(AuditEventType.EMAIL_VERIFIED, context, user_id=user.id)


class PasswordReset(_Flow):
    def __init__(
        self,
        *,
        users: UserRepository,
        tokens: OneTimeTokens,
        credentials: Credentials,
        sessions: SessionService,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        settings: EmailFlowSettings,
        throttle: Throttle,
    ) -> None:
        super().__init__(
            users=users, tokens=tokens, mailer=mailer, audit=audit, clock=clock, settings=settings
        )
        self._credentials = credentials
        self._sessions = sessions
        self._throttle = throttle

    async def forgot(self, email: str, context: RequestContext) -> None:
        """E-mail a reset link if the address has an enabled account; otherwise do the same work for nothing."""
        normalized = canonical_email(email)
        # one counter per address asked for, known or not: no mail bombing, and nothing learnt from a 429
        await self._throttle.before_attempt(normalized, context, purpose="password_reset")
        user = await self._users.get_by_email(normalized) if len(normalized) <= MAX_EMAIL_LENGTH else None
        if user is None or user.disabled:
            # the token an account would get, generated and hashed, so both paths cost the same
            hash_opaque_token(new_opaque_token("twp_"))
            await self._audit.record(
                AuditEventType.PASSWORD_RESET_REQUESTED,
                context,
                user_id=user.id if user else None,
                known_account=False,
            )
            return
        await self.send_link(user)
        await self._audit.record(
            AuditEventType.PASSWORD_RESET_REQUESTED, context, user_id=user.id, known_account=True
        )

    async def send_link(self, user: User) -> None:
        """A fresh reset link (earlier ones stop working), also sent after a "this was not me" report."""
        token = await self._tokens.issue(
            TokenPurpose.PASSWORD_RESET, user.id, self._settings.reset_lifetime, replace_earlier=True
        )
        name = self._settings.service_name
        await self._mailer.send(
            EmailMessage(
                to=user.email,
                kind="password_reset",
                subject=f"Reset your {name} password",
                body=(
                    f"Someone asked to reset the password of the {name} account for this address. To choose a "
                    f"new password, open this link:\n\n{self._settings.link(self._settings.reset_path, token)}"
                    f"\n\nThe link works once and expires in {_minutes(self._settings.reset_lifetime)}. "
                    "If you did not ask for this, you can ignore this message: your password is unchanged."
                ),
            )
        )

    async def reset(self, token: str, new_password: str, context: RequestContext) -> int:
        """Set the new password, end every session; returns how many sessions were ended."""
        pending = await self._tokens.peek(TokenPurpose.PASSWORD_RESET, token)
        user = await self._users.get(pending.user_id)
        if user is None:
            raise InvalidOneTimeToken()
        # the policy is checked before the token is spent, so a refused password does not burn the link
        new_hash = await self._credentials.hash_new_password(new_password, user.email)
        record = await self._tokens.consume(TokenPurpose.PASSWORD_RESET, token)
        user = await self._users.get(record.user_id)
        if user is None:
            raise InvalidOneTimeToken()
        now = self._clock.now()
        await self._users.update(
            user.with_changes(
                password_hash=new_hash, password_changed_at=now, updated_at=now, email_verified=True
            )
        )
        ended = await self._sessions.revoke_all(user.id, RevokeReason.PASSWORD_RESET)
        await self._audit.record(
            AuditEventType.PASSWORD_RESET, context, user_id=user.id, sessions_ended=len(ended)
        )
        return len(ended)


def _hours(lifetime: timedelta) -> str:
    hours = max(1, int(lifetime.total_seconds() // 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _minutes(lifetime: timedelta) -> str:
    minutes = max(1, int(lifetime.total_seconds() // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

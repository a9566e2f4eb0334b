"""Changing the e-mail address: confirmed from the new mailbox, revertible from the old one for 7 days.

The address is where reset links go, so whoever changes it owns the account. Three steps keep that in the
owner's hands:

1. ``request`` needs a sign-in from the last few minutes (the rule and error of the export), and the new
   address passes the sign-up rules (``checked_email``: canonical form, no look-alike domains). A link with a
   ``twc_`` token goes to the *new* address; nothing changes yet. When the new address already belongs to an
   account, the answer is the same, no link is sent, and that account's owner gets a notice instead (as at
   sign-up), so the request cannot be used to learn which addresses have accounts.
2. ``confirm`` (the ``twc_`` link) makes the change and marks the new address verified (the link proved
   control of it). The *old* address gets a notice with a ``twr_`` "this was not me" link valid 7 days.
3. ``revert`` (the ``twr_`` link) restores the old address, ends every session, removes the password and
   e-mails a reset link to the restored address: whoever made the change knew the password (step 1 needed a
   fresh sign-in), so the password must go too. Pending change links stop working, and so do revert links of
   *later* changes, so that an intruder who changed the address twice cannot undo the owner's revert with
   the revert link that went to the intruder's own first address; revert links of earlier changes keep
   working, so the owner's link always wins.

Each token only works for its own purpose (``one_time_tokens``): a change link is no revert, verification,
reset or "not me" link, and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tokenward.domain.accounts.email_addresses import canonical_email, checked_email
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.privacy import require_recent_sign_in
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.flows import EmailFlowSettings, PasswordReset
from tokenward.domain.email.model import EmailMessage
from tokenward.domain.email.one_time_tokens import OneTimeTokens, TokenPurpose
from tokenward.domain.email.ports import Mailer
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import Principal, SessionService
from tokenward.errors import EmailTaken, InvalidOneTimeToken, InvalidRequest

REQUEST_ANSWER = "A link to confirm the change has been sent to the new address; the change waits for it."
REVERTED = (
    "The earlier address is back, every session was ended and the password removed; a reset link was sent to "
    "the address."
)


@dataclass(frozen=True, slots=True)
class EmailChangeSettings:
    links: EmailFlowSettings
    #: how long the confirmation link sent to the new address works
    confirm_lifetime: timedelta = timedelta(hours=24)
    #: how long the "this was not me" link sent to the old address works
    revert_lifetime: timedelta = timedelta(days=7)
    #: a sign-in at most this old may ask for a change
    recent_sign_in: timedelta = timedelta(minutes=5)
    confirm_path: str = "/account/confirm-email-change"
    revert_path: str = "/account/revert-email-change"


class EmailChange:
    def __init__(
        self,
        *,
        users: UserRepository,
        tokens: OneTimeTokens,
        sessions: SessionService,
        reset: PasswordReset,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        settings: EmailChangeSettings,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._sessions = sessions
        self._reset = reset
        self._mailer = mailer
        self._audit = audit
        self._clock = clock
        self._settings = settings

    async def request(self, principal: Principal, new_email: str, context: RequestContext) -> None:
        """Send a confirmation link to the new address (or a notice to its owner); the same answer either way."""
        require_recent_sign_in(principal, self._clock.now(), self._settings.recent_sign_in)
        address = checked_email(new_email)
        user = principal.user
        if canonical_email(address) == canonical_email(user.email):
            raise InvalidRequest("email: this is already the account's address")
        holder = await self._users.get_by_email(canonical_email(address))
        # issued either way, so both paths do the same storage work; for a taken address it is never sent (and
        # could not be used: ``confirm`` refuses an address that has an account)
        token = await self._tokens.issue(
            TokenPurpose.EMAIL_CHANGE,
            user.id,
            self._settings.confirm_lifetime,
            email=address,
            replace_earlier=True,
        )
        if holder is not None:
            await self._mailer.send(self._taken_notice(holder.email))
            await self._record(AuditEventType.EMAIL_CHANGE_REQUESTED, user, context, "address_taken")
            return
        await self._mailer.send(self._confirmation(address, token))
        await self._record(AuditEventType.EMAIL_CHANGE_REQUESTED, user, context, "link_sent")

    async def confirm(self, token: str, context: RequestContext) -> str:
        """Make the change the link was sent for; tell the old address how to undo it. Returns the new address."""
        record = await self._tokens.consume(TokenPurpose.EMAIL_CHANGE, token)
        user = await self._users.get(record.user_id)
        if user is None or user.disabled or record.email is None:
            raise InvalidOneTimeToken()
        old = user.email
        now = self._clock.now()
        try:
            await self._users.update(
                user.with_changes(email=record.email, email_verified=True, updated_at=now)
            )
        except EmailTaken:
            # someone signed up with the address after the link was sent: the link can no longer be used
            raise InvalidOneTimeToken() from None
        revert = await self._tokens.issue(
            TokenPurpose.EMAIL_CHANGE_REVERT, user.id, self._settings.revert_lifetime, email=old
        )
        await self._mailer.send(self._changed_notice(old, record.email, revert))
        await self._record(AuditEventType.EMAIL_CHANGE_CONFIRMED, user, context, "success")
        return record.email

    async def revert(self, token: str, context: RequestContext) -> int:
        """Restore the old address, end every session, require a new password; returns the sessions ended."""
        record = await self._tokens.consume(TokenPurpose.EMAIL_CHANGE_REVERT, token)
        user = await self._users.get(record.user_id)
        if user is None or record.email is None:
            raise InvalidOneTimeToken()
        now = self._clock.now()
        await self._tokens.discard(user.id, TokenPurpose.EMAIL_CHANGE)
        await self._tokens.discard(user.id, TokenPurpose.EMAIL_CHANGE_REVERT, created_after=record.created_at)
        ended = await self._sessions.revoke_all(user.id, RevokeReason.REPORTED_NOT_ME)
        restored = user.with_changes(
            email=record.email, password_hash=None, password_changed_at=now, updated_at=now
        )
        outcome = "address_restored"
        try:
            await self._users.update(restored)
        except EmailTaken:
            # the old address has an account of its own by now: lock this one all the same
            restored = user.with_changes(password_hash=None, password_changed_at=now, updated_at=now)
            await self._users.update(restored)
            outcome = "old_address_taken"
        await self._reset.send_link(restored)
        await self._audit.record(
            AuditEventType.EMAIL_CHANGE_REVERTED,
            context,
            outcome=outcome,
            user_id=user.id,
            sessions_ended=len(ended),
        )
        return len(ended)

    async def _record(self, event: AuditEventType, user: User, context: RequestContext, outcome: str) -> None:
        await self._audit.record(event, context, outcome=outcome, user_id=user.id)

    def _confirmation(self, address: str, token: str) -> EmailMessage:
        links = self._settings.links
        hours = max(1, int(self._settings.confirm_lifetime.total_seconds() // 3600))
        return EmailMessage(
            to=address,
            kind="email_change_confirmation",
            subject=f"Confirm your new e-mail address for {links.service_name}",
            body=(
                f"Someone asked to move a {links.service_name} account to this address. To confirm that the "
                f"address is yours and make the change, open this link:\n\n"
                f"{links.link(self._settings.confirm_path, token)}\n\n"
                f"The link works once and expires in {hours} hours. If you did not ask for this, ignore this "
                "message: nothing changes without the link."
            ),
        )

    def _changed_notice(self, old: str, new: str, token: str) -> EmailMessage:
        links = self._settings.links
        days = max(1, int(self._settings.revert_lifetime.total_seconds() // 86400))
        return EmailMessage(
            to=old,
            kind="email_changed_notice",
            subject=f"The e-mail address of your {links.service_name} account was changed",
            body=(
                f"The e-mail address of your {links.service_name} account was changed from this address to "
                f"{new}.\n\nIf this was you, there is nothing to do. If it was not you, open this link within "
                f"{days} days: it puts this address back, signs out every session and asks you to choose a "
                f"new password:\n\n{links.link(self._settings.revert_path, token)}\n"
            ),
        )

    def _taken_notice(self, address: str) -> EmailMessage:
        name = self._settings.links.service_name
        return EmailMessage(
            to=address,
            kind="account_exists_notice",
            subject=f"Someone tried to move another {name} account to your address",
            body=(
                f"Someone asked to change the address of a {name} account to this one, which already has an "
                "account. Nothing was changed, and nothing about your account has changed. If it was you, "
                "remove or change the address of the account that uses it first."
            ),
        )

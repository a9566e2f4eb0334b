"""Accounts: sign-up, password sign-in, profile, password change, and the operator's actions.

Enumeration safety is decided here, not in the API: sign-up answers the same way whether or not the address
exists (the owner of an existing address gets a notice e-mail instead), hashes the password in both cases so
the timing matches, and sign-in runs a dummy verification for unknown addresses and raises the same
``InvalidCredentials`` for an unknown address and a wrong password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tokenward.domain.abuse.throttle import Throttle
from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.display_names import checked_display_name
from tokenward.domain.accounts.email_addresses import MAX_EMAIL_LENGTH, canonical_email, checked_email
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User, new_user_id
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.flows import EmailVerification
from tokenward.domain.email.model import EmailMessage
from tokenward.domain.email.ports import Mailer
from tokenward.domain.email.sign_in_notices import SignInNotices
from tokenward.domain.mfa import AMR_PASSWORD, MfaService
from tokenward.domain.mfa.model import Ceremony
from tokenward.domain.mfa.passkey_ceremonies import key_amr
from tokenward.domain.mfa.proofs import FactorProof
from tokenward.domain.mfa.service import AMR_MULTI_FACTOR, AMR_USER_VERIFIED
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import Principal, SessionService, TokenPair
from tokenward.domain.transactions import SeparateTransactions, Transactions
from tokenward.errors import (
    AccountDisabled,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidMfaToken,
    NotFound,
    TokenwardError,
)


@dataclass(frozen=True, slots=True)
class AccountSettings:
    service_name: str
    public_url: str
    #: refuse sign-in (after the correct password) until the address is verified
    require_verified_email: bool = False


@dataclass(frozen=True, slots=True)
class MfaRequired:
    """The password was right and the account has MFA on: no tokens yet, only the MFA token of this sign-in."""

    mfa_token: str
    methods: tuple[str, ...]
    expires_in: int

    def __repr__(self) -> str:
        return f"MfaRequired(methods={self.methods!r})"


class AccountService:
    def __init__(
        self,
        *,
        users: UserRepository,
        credentials: Credentials,
        sessions: SessionService,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        settings: AccountSettings,
        throttle: Throttle,
        mfa: MfaService,
        verification: EmailVerification,
        notices: SignInNotices,
        transactions: Transactions | None = None,
        mfa_token_lifetime: timedelta = timedelta(minutes=5),
    ) -> None:
        self._users = users
        self._credentials = credentials
        self._sessions = sessions
        self._mailer = mailer
        self._audit = audit
        self._clock = clock
        self._settings = settings
        self._throttle = throttle
        self._mfa = mfa
        self._verification = verification
        self._notices = notices
        self._mfa_token_lifetime = mfa_token_lifetime
        self._transactions = transactions or SeparateTransactions()

    async def sign_up(self, email: str, password: str, context: RequestContext) -> None:
        """Create the account, or, when the address is taken, tell its owner by e-mail. Same answer either way."""
        address = checked_email(email)
        password_hash = await self._credentials.hash_new_password(password, address)
        existing = await self._users.get_by_email(canonical_email(address))
        if existing is None:
            now = self._clock.now()
            user = User(
                id=new_user_id(),
                email=address,
                password_hash=password_hash,
                created_at=now,
                updated_at=now,
                password_changed_at=now,
            )
            try:
                await self._users.add(user)
            except EmailTaken:
                existing = await self._users.get_by_email(canonical_email(address))
            else:
                await self._audit.record(AuditEventType.SIGNUP, context, user_id=user.id)
                await self._verification.send(user, context)
                return
        # to the address the account was registered with: the same mailbox, as its owner wrote it
        await self._mailer.send(self._account_exists_notice(existing.email if existing else address))
        await self._audit.record(
            AuditEventType.SIGNUP_EXISTING_EMAIL,
            context,
            user_id=existing.id if existing else None,
            outcome="notice_sent",
        )

    async def sign_in(self, email: str, password: str, context: RequestContext) -> TokenPair | MfaRequired:
        """The password step. With MFA on, answers ``MfaRequired`` and the tokens come from ``sign_in_mfa``."""
        normalized = canonical_email(email)
        # looked up before the attempt is counted: a sign-in the database could not answer (a 503) tried no
        # password and must not bring the account closer to its back-off
        user = await self._users.get_by_email(normalized) if len(normalized) <= MAX_EMAIL_LENGTH else None
        await self._throttle.before_attempt(normalized, context)
        result = await self._credentials.verify(user.password_hash if user else None, password)
        if user is None or not result.ok:
            await self._throttle.attempt_failed(normalized, context)
            await self._audit.record(
                AuditEventType.LOGIN_FAILED,
                context,
                user_id=user.id if user else None,
                outcome="failure",
                reason="invalid_credentials",
                known_account=user is not None,
            )
            raise InvalidCredentials()
        await self._throttle.attempt_succeeded(normalized, context)
        if user.disabled:
            await self._audit.record(
                AuditEventType.LOGIN_FAILED,
                context,
                user_id=user.id,
                outcome="failure",
                reason="account_disabled",
            )
            raise AccountDisabled()
        if self._settings.require_verified_email and not user.email_verified:
            await self._audit.record(
                AuditEventType.LOGIN_FAILED,
                context,
                user_id=user.id,
                outcome="failure",
                reason="email_not_verified",
            )
            raise EmailNotVerified(
                "Confirm your e-mail address first; POST /v1/email/resend sends a new link"
            )
        # hashed before the transaction: it holds no lock while Argon2 runs
        new_hash = await self._credentials.rehash(password) if result.needs_rehash else None
        # the rest succeeds, or nothing of it is kept: one transaction (the password check read the user)
        async with self._transactions.atomic():
            if new_hash is not None:
                user = user.with_changes(password_hash=new_hash, updated_at=self._clock.now())
                await self._users.update(user)
                await self._audit.record(AuditEventType.PASSWORD_REHASHED, context, user_id=user.id)
            methods = await self._mfa.methods(user.id)
            if methods:
                return MfaRequired(
                    mfa_token=await self._mfa.create_challenge(user, context),
                    methods=methods,
                    expires_in=int(self._mfa_token_lifetime.total_seconds()),
                )
            return await self._signed_in(user, (AMR_PASSWORD,), context)

    async def sign_in_mfa(
        self, mfa_token: str, proof: FactorProof | str, context: RequestContext
    ) -> TokenPair:
        """The second step: the MFA token of a correct password step and a second factor (a TOTP, recovery,
        SMS or e-mail code, or a passkey's response)."""
        challenge = await self._mfa.open_challenge(mfa_token)
        user = await self._users.get(challenge.user_id)
        # bound to the password step: a password reset or a disabled account since then voids it
        if (
            user is None
            or user.disabled
            or user.password_hash is None
            or (user.password_changed_at is not None and user.password_changed_at > challenge.created_at)
        ):
            raise InvalidMfaToken()
        try:
            method = await self._mfa.verify_second_factor(user, proof, context, binding=challenge.token_hash)
        except TokenwardError:
            await self._mfa.challenge_failed(challenge)
            raise
        await self._mfa.close_challenge(challenge)
        return await self._signed_in(user, (AMR_PASSWORD, method), context)

    async def sign_in_passkey(self, credential: Mapping[str, Any], context: RequestContext) -> TokenPair:
        """Passwordless: a discoverable passkey with user verification is the whole sign-in (two factors:
        the key, and the PIN or biometric that unlocked it)."""
        passkey, _ = await self._mfa.passkeys.verify(credential, Ceremony.SIGN_IN, context)
        user = await self._users.get(passkey.user_id)
        # no password hash: the owner reported a sign-in as not theirs, and only a reset lets them in again
        if user is None or user.disabled or user.password_hash is None:
            await self._audit.record(
                AuditEventType.LOGIN_FAILED,
                context,
                user_id=passkey.user_id,
                outcome="failure",
                reason="account_disabled",
                method="webauthn",
            )
            raise AccountDisabled()
        return await self._signed_in(user, (key_amr(passkey), AMR_USER_VERIFIED, AMR_MULTI_FACTOR), context)

    async def _signed_in(self, user: User, amr: tuple[str, ...], context: RequestContext) -> TokenPair:
        """The session, its audit event and the device check, in one transaction."""
        async with self._transactions.atomic():
            tokens = await self._sessions.start(user, amr=amr, context=context)
            await self._audit.record(
                AuditEventType.LOGIN_SUCCEEDED,
                context,
                user_id=user.id,
                session_id=tokens.session_id,
                amr=list(amr),
            )
            await self._notices.after_sign_in(user, tokens.session_id, context, amr=amr)
        return tokens

    async def update_profile(self, principal: Principal, *, display_name: str | None) -> User:
        if display_name is not None:
            checked_display_name(display_name)
        user = principal.user.with_changes(display_name=display_name, updated_at=self._clock.now())
        await self._users.update(user)
        await self._audit.record(
            AuditEventType.PROFILE_UPDATED,
            RequestContext(),
            user_id=user.id,
            fields=["display_name"],
        )
        return user

    async def change_password(
        self, principal: Principal, current_password: str, new_password: str, context: RequestContext
    ) -> int:
        """Needs the current password; ends every other session. Returns how many sessions were ended."""
        user = principal.user
        await self._throttle.before_attempt(user.email, context, purpose="change_password")
        result = await self._credentials.verify(user.password_hash, current_password)
        if not result.ok:
            await self._audit.record(
                AuditEventType.PASSWORD_CHANGED,
                context,
                user_id=user.id,
                session_id=principal.session.id,
                outcome="failure",
                reason="wrong_current_password",
            )
            raise InvalidCredentials("The current password is wrong")
        # the attempt was counted before the check; a right current password ends the back-off
        await self._throttle.attempt_succeeded(user.email, context, purpose="change_password")
        new_hash = await self._credentials.hash_new_password(new_password, user.email)
        now = self._clock.now()
        await self._users.update(
            user.with_changes(password_hash=new_hash, updated_at=now, password_changed_at=now)
        )
        ended = await self._sessions.revoke_all(
            user.id, RevokeReason.PASSWORD_CHANGED, except_session_id=principal.session.id
        )
        await self._audit.record(
            AuditEventType.PASSWORD_CHANGED,
            context,
            user_id=user.id,
            session_id=principal.session.id,
            other_sessions_ended=len(ended),
        )
        return len(ended)

    # operator actions (CLI, later the admin API) -------------------------------------------------------

    async def create_user(self, email: str, password: str, *, email_verified: bool = False) -> User:
        address = checked_email(email)
        password_hash = await self._credentials.hash_new_password(password, address)
        now = self._clock.now()
        user = User(
            id=new_user_id(),
            email=address,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            password_changed_at=now,
            email_verified=email_verified,
        )
        await self._users.add(user)
        await self._audit.record(
            AuditEventType.USER_CREATED_BY_ADMIN, RequestContext.internal(), user_id=user.id
        )
        return user

    async def set_disabled(self, email: str, disabled: bool) -> User:
        user = await self._users.get_by_email(canonical_email(email))
        if user is None:
            raise NotFound("No user with that e-mail address")
        user = user.with_changes(disabled=disabled, updated_at=self._clock.now())
        await self._users.update(user)
        ended = 0
        if disabled:
            ended = len(await self._sessions.revoke_all(user.id, RevokeReason.USER_DISABLED))
        await self._audit.record(
            AuditEventType.USER_DISABLED if disabled else AuditEventType.USER_ENABLED,
            RequestContext.internal(),
            user_id=user.id,
            sessions_ended=ended,
        )
        return user

    def _account_exists_notice(self, email: str) -> EmailMessage:
        return EmailMessage(
            to=email,
            kind="account_exists_notice",
            subject=f"Someone tried to create a {self._settings.service_name} account with your address",
            body=(
                f"Someone tried to sign up for {self._settings.service_name} with this e-mail address, which "
                "already has an account. If that was you, sign in instead. If you forgot your password, reset "
                f"it at {self._settings.public_url}.\n\nIf it was not you, you can ignore this message: "
                "nothing about your account has changed."
            ),
        )

"""The domain services wired on the fakes and one frozen clock, as ``tokenward.bootstrap`` wires them on storage.

A service test builds a ``World``, acts through the services and reads the outcome from the fakes; nothing
touches a database, a socket or the wall clock, so each test runs in milliseconds. Argon2 runs with the
cheapest parameters it accepts.
"""

from __future__ import annotations

import os
from datetime import timedelta

from tests.fakes import (
    FakeAuditRepository,
    FakeDenyList,
    FakeDistinctCounter,
    FakeKnownDeviceRepository,
    FakeMailer,
    FakeMfaChallengeRepository,
    FakeMfaRepository,
    FakeOneTimeTokenRepository,
    FakeOtpRepository,
    FakePasskeyRepository,
    FakeRateLimiter,
    FakeSessionRepository,
    FakeSmsSender,
    FakeUserRepository,
)
from tokenward.domain.abuse.throttle import Throttle, ThrottlePolicy
from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.passwords import (
    Argon2Parameters,
    HashingPool,
    PasswordChecker,
    PasswordHasher,
    PasswordPolicy,
)
from tokenward.domain.accounts.service import AccountService, AccountSettings
from tokenward.domain.accounts.users import User, new_user_id
from tokenward.domain.audit.events import AuditEvent, AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.flows import EmailFlowSettings, EmailVerification, PasswordReset
from tokenward.domain.email.one_time_tokens import OneTimeTokens
from tokenward.domain.email.sign_in_notices import NoticeSettings, SignInNotices
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import KeyState
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.mfa import MfaService, MfaSettings
from tokenward.domain.mfa.factor_index import FactorIndexOfThreeReads
from tokenward.domain.mfa.factors import FactorManagement
from tokenward.domain.mfa.otp_codes import OtpCodes, OtpSettings
from tokenward.domain.mfa.passkey_ceremonies import PasskeyCeremonies, PasskeySettings
from tokenward.domain.mfa.webauthn_rp import RelyingParty
from tokenward.domain.sessions.denylist import DenyPolicy, Revocations
from tokenward.domain.sessions.service import Principal, SessionService, SessionSettings, TokenPair
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)

ISSUER = "https://auth.example.test"
RP_ID = "auth.example.test"
AUDIENCE = "api.example.test"
SERVICE_NAME = "Tokenward"
PASSWORD = "correct horse battery staple"
#: who is asking in every test: the address and browser every audit event and session should carry
CONTEXT = RequestContext(ip="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
SESSION_SETTINGS = SessionSettings(
    idle_ttl=timedelta(days=14),
    absolute_ttl=timedelta(days=30),
    reuse_grace=timedelta(seconds=10),
    default_scope="openid",
)


class World:
    """Every service of the domain on fakes. Call ``close`` when done (it stops the hashing threads)."""

    def __init__(self) -> None:
        self.clock = FrozenClock()
        self.users = FakeUserRepository()
        self.session_store = FakeSessionRepository(self.users)
        self.audit_store = FakeAuditRepository()
        self.one_time_tokens = FakeOneTimeTokenRepository()
        self.factors = FakeMfaRepository()
        self.challenges = FakeMfaChallengeRepository()
        self.devices = FakeKnownDeviceRepository()
        self.mailer = FakeMailer()
        self.deny_list = FakeDenyList(self.clock)
        self.audit = AuditTrail([self.audit_store], self.clock)
        self.encryptor = KeyEncryptor(os.urandom(32))
        self.hasher = PasswordHasher(Argon2Parameters.for_tests())
        self.pool = HashingPool(max_concurrent=2, max_waiting=16)
        self.credentials = Credentials(
            PasswordChecker(PasswordPolicy(service_name=SERVICE_NAME), blocklist=frozenset()),
            self.hasher,
            self.pool,
            SERVICE_NAME,
        )
        self.throttle = Throttle(
            limiter=FakeRateLimiter(self.clock),
            distinct=FakeDistinctCounter(self.clock),
            policy=ThrottlePolicy(),
            audit=self.audit,
        )
        self.sessions = self._session_service()
        self._email_services()
        self._second_factors()
        self.mfa = MfaService(
            factors=self.factors,
            challenges=self.challenges,
            encryptor=self.encryptor,
            sessions=self.sessions,
            audit=self.audit,
            clock=self.clock,
            settings=MfaSettings(issuer=SERVICE_NAME),
            throttle=self.throttle,
            passkeys=self.passkeys,
            otp=self.otp,
            index=FactorIndexOfThreeReads(self.factors, self.passkey_store, self.code_store),
        )
        self.factor_management = FactorManagement(
            mfa=self.mfa,
            passkeys=self.passkeys,
            passkey_store=self.passkey_store,
            otp=self.otp,
            audit=self.audit,
            clock=self.clock,
        )
        self.accounts = AccountService(
            users=self.users,
            credentials=self.credentials,
            sessions=self.sessions,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            settings=AccountSettings(service_name=SERVICE_NAME, public_url=ISSUER),
            throttle=self.throttle,
            mfa=self.mfa,
            verification=self.verification,
            notices=self.notices,
        )

    def close(self) -> None:
        self.pool.close()

    def _second_factors(self) -> None:
        """Passkeys for the test issuer's origin, and SMS (on here) and e-mail codes."""
        self.passkey_store = FakePasskeyRepository()
        self.code_store = FakeOtpRepository()
        self.sms = FakeSmsSender()
        self.rate_limiter = FakeRateLimiter(self.clock)
        self.passkeys = PasskeyCeremonies(
            repository=self.passkey_store,
            audit=self.audit,
            clock=self.clock,
            settings=PasskeySettings(rp=RelyingParty(RP_ID, (ISSUER,), SERVICE_NAME)),
        )
        self.otp = OtpCodes(
            repository=self.code_store,
            sms=self.sms,
            mailer=self.mailer,
            limiter=self.rate_limiter,
            audit=self.audit,
            clock=self.clock,
            settings=OtpSettings(service_name=SERVICE_NAME, sms_enabled=True),
        )

    def _session_service(self) -> SessionService:
        ring = KeyRing(
            [generate_key("ES256", self.encryptor, self.clock.now(), KeyState.ACTIVE)], self.encryptor
        )
        return SessionService(
            sessions=self.session_store,
            users=self.users,
            issuer=AccessTokenIssuer(lambda: ring, AccessTokenSettings(ISSUER, (AUDIENCE,), 600), self.clock),
            verifier=AccessTokenVerifier(
                ring.verification_key,
                VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})),
                self.clock,
            ),
            audit=self.audit,
            clock=self.clock,
            settings=SESSION_SETTINGS,
            revocations=Revocations(
                self.deny_list,
                DenyPolicy(access_token_lifetime=timedelta(seconds=600), leeway=timedelta(seconds=30)),
                self.clock,
            ),
        )

    def _email_services(self) -> None:
        tokens = OneTimeTokens(self.one_time_tokens, self.clock)
        links = EmailFlowSettings(service_name=SERVICE_NAME, public_url=ISSUER)
        self.verification = EmailVerification(
            users=self.users,
            tokens=tokens,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            settings=links,
        )
        self.password_reset = PasswordReset(
            users=self.users,
            tokens=tokens,
            credentials=self.credentials,
            sessions=self.sessions,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            settings=links,
            throttle=self.throttle,
        )
        self.notices = SignInNotices(
            devices=self.devices,
            users=self.users,
            tokens=tokens,
            sessions=self.sessions,
            reset=self.password_reset,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            settings=NoticeSettings(links=links),
        )

    # ------------------------------------------------------------------------------------------- helpers

    async def events(self, event_type: str | None = None) -> list[AuditEvent]:
        """The recorded audit events of one type (or all), oldest first."""
        return list(reversed(await self.audit_store.list_events(event_type=event_type, limit=1000)))

    async def new_user(self, email: str = "alice@example.com", **changes: object) -> User:
        """An account with ``PASSWORD``, stored directly (no sign-up events or e-mails)."""
        now = self.clock.now()
        user = User(
            id=new_user_id(),
            email=email,
            password_hash=self.hasher.hash(PASSWORD),
            created_at=now,
            updated_at=now,
            password_changed_at=now,
        ).with_changes(**changes)
        await self.users.add(user)
        return user

    async def signed_in(self, email: str = "alice@example.com") -> tuple[TokenPair, Principal]:
        """A new account signed in with its password (no MFA): its tokens and the principal they stand for."""
        await self.new_user(email)
        tokens = await self.accounts.sign_in(email, PASSWORD, CONTEXT)
        assert isinstance(tokens, TokenPair)
        return tokens, await self.sessions.authenticate(tokens.access_token)

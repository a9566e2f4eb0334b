"""Every domain service, wired from its policy (``policies``) and its stores (``stores``).

One function per service or small family of services; each takes the ``Basis`` that every service shares and
the other services it calls. ``container.build_container`` calls them in dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from tokenward.adapters.metrics import PrometheusThrottleMetrics
from tokenward.adapters.oidc.backchannel import HttpLogoutTokenSender
from tokenward.bootstrap.policies import (
    access_token_settings,
    account_settings,
    argon2_parameters,
    cleanup_policy,
    deny_policy,
    email_flow_settings,
    mfa_settings,
    otp_settings,
    passkey_settings,
    password_policy,
    session_settings,
    throttle_policy,
    verification_policy,
)
from tokenward.bootstrap.stores import SqlRepositories, build_sms_sender, throttle_counters
from tokenward.config import Settings
from tokenward.domain.abuse.throttle import Throttle
from tokenward.domain.accounts.administration import AdminService
from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.passwords import (
    HashingPool,
    PasswordChecker,
    PasswordHasher,
    load_common_passwords,
)
from tokenward.domain.accounts.privacy import PrivacyService
from tokenward.domain.accounts.service import AccountService
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.audit.log import AuditLog, ExpiredAuditPersonalData
from tokenward.domain.cleanup import (
    CleanupService,
    EndedSessions,
    ExpiredMfaChallenges,
    ExpiredOneTimeTokens,
    ExpiredRefreshRecords,
)
from tokenward.domain.clients import ClientRegistry
from tokenward.domain.clock import Clock
from tokenward.domain.email.address_change import EmailChange, EmailChangeSettings
from tokenward.domain.email.flows import EmailVerification, PasswordReset
from tokenward.domain.email.one_time_tokens import OneTimeTokens
from tokenward.domain.email.ports import Mailer
from tokenward.domain.email.sign_in_notices import NoticeSettings, SignInNotices
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.ring import KeyRing, KeyRingHolder
from tokenward.domain.leases import Leases
from tokenward.domain.mfa import MfaService
from tokenward.domain.mfa.factors import ExpiredFactorChallenges, FactorManagement
from tokenward.domain.mfa.otp_codes import OtpCodes
from tokenward.domain.mfa.passkey_ceremonies import PasskeyCeremonies
from tokenward.domain.oidc import Consents, IdTokenIssuer, IdTokenSettings, OidcProvider
from tokenward.domain.oidc.backchannel import BackChannelLogout
from tokenward.domain.oidc.codes import ExpiredAuthorizationCodes
from tokenward.domain.sessions.denylist import Revocations
from tokenward.domain.sessions.ports import DenyList
from tokenward.domain.sessions.service import SessionService
from tokenward.domain.tokens import AccessTokenIssuer, AccessTokenVerifier


@dataclass(frozen=True, slots=True)
class Basis:
    """What every service is wired from: the settings, the clock, the audit trail and the stores."""

    settings: Settings
    clock: Clock
    audit: AuditTrail
    repositories: SqlRepositories


def hashing_pool(settings: Settings) -> HashingPool:
    """Bounds how many Argon2 hashes run at once and how many may wait; more are refused, not queued."""
    return HashingPool(max_concurrent=settings.hash_concurrency, max_waiting=settings.hash_queue_limit)


def build_credentials(settings: Settings, pool: HashingPool) -> Credentials:
    return Credentials(
        PasswordChecker(password_policy(settings), load_common_passwords()),
        PasswordHasher(argon2_parameters(settings)),
        pool,
        settings.service_name,
    )


def build_throttle(settings: Settings, *, audit: AuditTrail, clock: Clock, redis: Redis | None) -> Throttle:
    """Rate limits and lock-out, counted where ``stores.throttle_counters`` chooses."""
    limiter, distinct = throttle_counters(settings, redis, clock)
    return Throttle(
        limiter=limiter,
        distinct=distinct,
        policy=throttle_policy(settings),
        audit=audit,
        metrics=PrometheusThrottleMetrics(),
    )


def build_sessions(basis: Basis, key_holder: KeyRingHolder, deny_list: DenyList) -> SessionService:
    """Sessions sign with, and verify against, whatever ring the holder has now (it is reloaded)."""
    settings, clock = basis.settings, basis.clock

    def current_ring() -> KeyRing:
        return key_holder.ring

    return SessionService(
        sessions=basis.repositories.sessions,
        users=basis.repositories.users,
        issuer=AccessTokenIssuer(current_ring, access_token_settings(settings), clock),
        verifier=AccessTokenVerifier(
            lambda kid: current_ring().verification_key(kid),
            verification_policy(settings),
            clock,
            cache_size=settings.verified_token_cache_size,
        ),
        audit=basis.audit,
        clock=clock,
        settings=session_settings(settings),
        revocations=Revocations(deny_list, deny_policy(settings), clock),
        learn_key=key_holder.learn,
    )


@dataclass(frozen=True, slots=True)
class EmailFlows:
    """The flows that send a one-time link: verify an address, reset a password, "was this you?" notices,
    change the address."""

    verification: EmailVerification
    reset: PasswordReset
    notices: SignInNotices
    change: EmailChange


def build_email_flows(
    basis: Basis,
    *,
    mailer: Mailer,
    throttle: Throttle,
    credentials: Credentials,
    sessions: SessionService,
) -> EmailFlows:
    users, audit, clock = basis.repositories.users, basis.audit, basis.clock
    tokens = OneTimeTokens(basis.repositories.one_time_tokens, clock)
    links = email_flow_settings(basis.settings)
    verification = EmailVerification(
        users=users, tokens=tokens, mailer=mailer, audit=audit, clock=clock, settings=links
    )
    reset = PasswordReset(
        throttle=throttle,
        users=users,
        tokens=tokens,
        credentials=credentials,
        sessions=sessions,
        mailer=mailer,
        audit=audit,
        clock=clock,
        settings=links,
    )
    notices = SignInNotices(
        devices=basis.repositories.known_devices,
        users=users,
        tokens=tokens,
        sessions=sessions,
        reset=reset,
        mailer=mailer,
        audit=audit,
        clock=clock,
        settings=NoticeSettings(links=links),
    )
    change = EmailChange(
        users=users,
        tokens=tokens,
        sessions=sessions,
        reset=reset,
        mailer=mailer,
        audit=audit,
        clock=clock,
        settings=EmailChangeSettings(
            links=links,
            confirm_lifetime=links.verification_lifetime,
            recent_sign_in=timedelta(seconds=basis.settings.reauthentication_window),
        ),
    )
    return EmailFlows(verification, reset, notices, change)


@dataclass(frozen=True, slots=True)
class SecondFactors:
    """The MFA step service (TOTP, recovery codes, every second-factor check) and the management of the
    other factors (passkeys, SMS and e-mail codes)."""

    mfa: MfaService
    management: FactorManagement


def build_mfa(
    basis: Basis, *, throttle: Throttle, encryptor: KeyEncryptor, sessions: SessionService, mailer: Mailer
) -> SecondFactors:
    """TOTP secrets are encrypted under the same KEK cipher as the signing keys; code sends are counted in the
    throttle's store, so every process shares the limits."""
    repositories, audit, clock = basis.repositories, basis.audit, basis.clock
    passkeys = PasskeyCeremonies(
        repository=repositories.passkeys, audit=audit, clock=clock, settings=passkey_settings(basis.settings)
    )
    otp = OtpCodes(
        repository=repositories.otp,
        sms=build_sms_sender(basis.settings, clock),
        mailer=mailer,
        limiter=throttle.limiter,
        audit=audit,
        clock=clock,
        settings=otp_settings(basis.settings),
    )
    mfa = MfaService(
        throttle=throttle,
        factors=repositories.mfa,
        challenges=repositories.mfa,
        encryptor=encryptor,
        sessions=sessions,
        audit=audit,
        clock=clock,
        settings=mfa_settings(basis.settings),
        passkeys=passkeys,
        otp=otp,
        index=repositories.mfa,
    )
    management = FactorManagement(
        mfa=mfa, passkeys=passkeys, passkey_store=repositories.passkeys, otp=otp, audit=audit, clock=clock
    )
    return SecondFactors(mfa, management)


def build_accounts(
    basis: Basis,
    *,
    credentials: Credentials,
    sessions: SessionService,
    mailer: Mailer,
    throttle: Throttle,
    mfa: MfaService,
    email: EmailFlows,
) -> AccountService:
    return AccountService(
        users=basis.repositories.users,
        credentials=credentials,
        sessions=sessions,
        mailer=mailer,
        audit=basis.audit,
        clock=basis.clock,
        settings=account_settings(basis.settings),
        throttle=throttle,
        mfa=mfa,
        verification=email.verification,
        notices=email.notices,
        transactions=basis.repositories.transactions,
        mfa_token_lifetime=mfa_settings(basis.settings).challenge_lifetime,
    )


@dataclass(frozen=True, slots=True)
class Administration:
    """The user's own data (export, erasure) and the operator's actions on accounts."""

    privacy: PrivacyService
    admin: AdminService


def build_administration(
    basis: Basis,
    *,
    audit_log: AuditLog,
    sessions: SessionService,
    credentials: Credentials,
    mfa: MfaService,
    verification: EmailVerification,
) -> Administration:
    repositories = basis.repositories
    privacy = PrivacyService(
        users=repositories.users,
        directory=repositories.directory,
        audit_log=audit_log,
        audit=basis.audit,
        sessions=sessions,
        credentials=credentials,
        mfa=mfa,
        clock=basis.clock,
        recent_sign_in=timedelta(seconds=basis.settings.reauthentication_window),
    )
    admin = AdminService(
        users=repositories.users,
        directory=repositories.directory,
        sessions=sessions,
        mfa=mfa,
        verification=verification,
        privacy=privacy,
        audit_log=audit_log,
        audit=basis.audit,
        clock=basis.clock,
    )
    return Administration(privacy, admin)


def build_cleanup(basis: Basis, leases: Leases, audit_log: AuditLog) -> CleanupService:
    """Deletes what has ended or expired; a lease makes one process at a time do it."""
    repositories = basis.repositories
    audit_retention = timedelta(days=basis.settings.audit_retention_days)
    return CleanupService(
        [
            EndedSessions(repositories.sessions),
            ExpiredRefreshRecords(repositories.sessions),
            ExpiredOneTimeTokens(repositories.one_time_tokens),
            ExpiredMfaChallenges(repositories.mfa),
            ExpiredFactorChallenges(repositories.passkeys, repositories.otp),
            ExpiredAuthorizationCodes(repositories.authorization_codes),
            ExpiredAuditPersonalData(audit_log.store, audit_retention),
            repositories.revocations,
        ],
        leases,
        cleanup_policy(basis.settings),
        basis.audit,
        basis.clock,
    )


@dataclass(frozen=True, slots=True)
class OpenIdServices:
    """The client registry, the OpenID Connect provider and the users' remembered consents."""

    clients: ClientRegistry
    provider: OidcProvider
    consents: Consents


def build_openid(basis: Basis, key_holder: KeyRingHolder, sessions: SessionService) -> OpenIdServices:
    """ID tokens (and logout tokens) are signed by the same key ring as access tokens, with the same issuer;
    clients that registered a back-channel logout URI hear of every one of their sessions that ends."""
    settings, clock, audit, repositories = basis.settings, basis.clock, basis.audit, basis.repositories
    clients = ClientRegistry(repositories.clients, audit, clock)

    def current_ring() -> KeyRing:
        return key_holder.ring

    id_tokens = IdTokenIssuer(
        current_ring, IdTokenSettings(settings.issuer, settings.access_token_ttl), clock
    )
    provider = OidcProvider(
        clients=clients,
        codes=repositories.authorization_codes,
        sessions=sessions,
        users=repositories.users,
        id_tokens=id_tokens,
        audit=audit,
        clock=clock,
    )
    backchannel = BackChannelLogout(
        clients=clients,
        sessions=repositories.sessions,
        id_tokens=id_tokens,
        sender=HttpLogoutTokenSender(),
        audit=audit,
    )
    sessions.on_sessions_ended(backchannel.sessions_ended)
    return OpenIdServices(clients, provider, Consents(repositories.consents, clients, sessions, audit, clock))

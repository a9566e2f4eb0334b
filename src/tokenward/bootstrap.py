"""Composition root: settings -> adapters -> services -> app. The only module that imports everything.

Nothing here runs at import time. ``build_app`` returns an application whose lifespan builds the container
(migrating the database and creating a signing key on first start when configured to) and closes it.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from redis.asyncio import Redis

from tokenward.adapters.distinct_counters import MemoryDistinctCounter, RedisDistinctCounter
from tokenward.adapters.email import BackgroundMailer, OutboxMailer, SmtpMailer, SmtpSettings
from tokenward.adapters.logging import LogAuditSink, configure_logging, get_logger
from tokenward.adapters.memory import MemoryDenyList
from tokenward.adapters.metrics import MetricsAuditSink, PrometheusThrottleMetrics
from tokenward.adapters.rate_limits import LimitsRateLimiter, memory_storage, redis_storage
from tokenward.adapters.redis import RedisDenyList, create_redis_client
from tokenward.adapters.redis.client import ping as ping_redis
from tokenward.adapters.sql import (
    Database,
    SqlAuditRepository,
    SqlKeyRepository,
    SqlSessionRepository,
    SqlUserRepository,
    migrate,
)
from tokenward.adapters.sql.clients import SqlApiClientRepository
from tokenward.adapters.sql.devices import SqlKnownDeviceRepository
from tokenward.adapters.sql.leases import SqlLeaseRepository
from tokenward.adapters.sql.mfa import SqlMfaRepository
from tokenward.adapters.sql.one_time_tokens import SqlOneTimeTokenRepository
from tokenward.adapters.sql.revocations import SqlDenyRecord
from tokenward.api.app import create_app
from tokenward.api.services import ApiConfig, ApiServices
from tokenward.background import BackgroundTasks, PeriodicTask
from tokenward.config import Settings, decode_kek, parse_rates
from tokenward.domain.abuse.throttle import DistinctCounter, Rate, Throttle, ThrottlePolicy
from tokenward.domain.accounts.credentials import Credentials
from tokenward.domain.accounts.passwords import (
    Argon2Parameters,
    HashingPool,
    PasswordChecker,
    PasswordHasher,
    PasswordPolicy,
    load_common_passwords,
)
from tokenward.domain.accounts.service import AccountService, AccountSettings
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.cleanup import (
    CleanupPolicy,
    CleanupService,
    EndedSessions,
    ExpiredMfaChallenges,
    ExpiredOneTimeTokens,
    ExpiredRefreshRecords,
)
from tokenward.domain.clients.api_clients import ApiClientService
from tokenward.domain.clock import Clock, SystemClock
from tokenward.domain.email.flows import EmailFlowSettings, EmailVerification, PasswordReset
from tokenward.domain.email.mail import Mailer
from tokenward.domain.email.one_time_tokens import OneTimeTokens
from tokenward.domain.email.sign_in_notices import NoticeSettings, SignInNotices
from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.kek_rotation import KekRotation
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.keys.ring import KeyRing, KeyRingHolder, KeyService, RotationPolicy
from tokenward.domain.leases import Leases
from tokenward.domain.mfa import MfaService, MfaSettings
from tokenward.domain.sessions.denylist import DenyList, DenyPolicy, Revocations
from tokenward.domain.sessions.durable_denylist import DurableDenyList
from tokenward.domain.sessions.introspection import Introspector
from tokenward.domain.sessions.service import SessionService, SessionSettings
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)
from tokenward.errors import ConfigurationError

_log = get_logger("tokenward.bootstrap")
#: how often each process runs the key-rotation step (a lease makes one of them do the work)
KEY_ROTATION_STEP_SECONDS = 60
#: the JWKS ``Cache-Control: max-age`` (api.routes.wellknown); retired keys stay published this much longer
JWKS_MAX_AGE_SECONDS = 300


def check_settings(settings: Settings) -> None:
    """Refuse to start in production with any insecure setting, naming each one."""
    if settings.is_production:
        problems = settings.insecure_settings()
        if problems:
            raise ConfigurationError(problems)


def load_kek(settings: Settings) -> bytes:
    """The key-encryption key: configured, or in development a generated one kept in the data folder."""
    if settings.kek is not None:
        try:
            return decode_kek(settings.kek.get_secret_value())
        except ValueError as exc:
            raise ConfigurationError([str(exc)]) from exc
    if settings.is_production:
        raise ConfigurationError(["TOKENWARD_KEK (or TOKENWARD_KEK_FILE) must be set in production"])
    path = settings.dev_kek_path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)))
    _log.warning(
        "development_key_encryption_key",
        path=str(path),
        message="Signing keys are encrypted under a generated development key stored next to the database. "
        "Set TOKENWARD_KEK (32 random bytes, base64) and TOKENWARD_MODE=production for any real use.",
    )
    return decode_kek(path.read_text(encoding="ascii"))


@dataclass(slots=True)
class Container:
    settings: Settings
    clock: Clock
    database: Database
    audit: AuditTrail
    keys: KeyService
    key_holder: KeyRingHolder
    accounts: AccountService
    sessions: SessionService
    hashing_pool: HashingPool
    audit_repository: SqlAuditRepository
    users: SqlUserRepository
    throttle: Throttle
    mfa: MfaService
    email_verification: EmailVerification
    password_reset: PasswordReset
    sign_in_notices: SignInNotices
    mailer: Mailer
    api_clients: ApiClientService
    introspector: Introspector
    cleanup: CleanupService
    deny_list: DenyList
    redis: Redis | None = None

    @property
    def key_ring(self) -> KeyRing:
        return self.key_holder.ring

    async def reload_keys(self) -> KeyRing:
        return await self.key_holder.reload()

    def kek_rotation(self) -> KekRotation:
        """Everything the key-encryption key protects: signing keys and TOTP secrets."""
        return KekRotation(keys=self.keys, mfa=self.mfa, audit=self.audit, clock=self.clock)

    def background_tasks(self) -> BackgroundTasks:
        """Key-rotation step, key-ring reload and clean-up, each at its interval (docs/operations.md)."""

        async def reload() -> None:
            await self.reload_keys()

        return BackgroundTasks(
            [
                PeriodicTask("key_rotation", KEY_ROTATION_STEP_SECONDS, self.keys.scheduled_step),
                PeriodicTask("key_reload", self.settings.key_reload_interval, reload),
                PeriodicTask("cleanup", self.settings.cleanup_interval, self.cleanup.run),
            ]
        )

    def api_services(self) -> ApiServices:
        return ApiServices(
            accounts=self.accounts,
            sessions=self.sessions,
            jwks=lambda: self.key_ring.jwks(),
            mfa=self.mfa,
            email_verification=self.email_verification,
            password_reset=self.password_reset,
            sign_in_notices=self.sign_in_notices,
            api_clients=self.api_clients,
            introspector=self.introspector,
            readiness_checks=self._readiness_checks(),
            throttle=self.throttle,
        )

    def _readiness_checks(self) -> dict[str, Callable[[], Awaitable[object]]]:
        checks: dict[str, Callable[[], Awaitable[object]]] = {"database": self.database.ping}
        if self.redis is not None:
            checks["redis"] = partial(ping_redis, self.redis)
        return checks

    async def drain_mail(self) -> None:
        """Wait for e-mails still being delivered in the background (shutdown; tests)."""
        if isinstance(self.mailer, BackgroundMailer):
            await self.mailer.drain()

    async def close(self) -> None:
        await self.drain_mail()
        self.hashing_pool.close()
        await self.database.dispose()
        if self.redis is not None:
            await self.redis.aclose()


async def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    check_settings(settings)
    configure_logging(settings.log_level, settings.log_json)
    clock = clock or SystemClock()
    kek = load_kek(settings)
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if settings.auto_migrate:
        await migrate(url)
    database = Database(
        url,
        connect_timeout=settings.database_connect_timeout,
        statement_timeout=settings.database_statement_timeout,
    )
    redis = (
        create_redis_client(settings.redis_url, timeout=settings.redis_timeout)
        if settings.redis_url
        else None
    )
    try:
        return await _assemble(settings, clock, database, kek, redis)
    except BaseException:
        await database.dispose()
        if redis is not None:
            await redis.aclose()
        raise


def build_throttle(settings: Settings, *, audit: AuditTrail, clock: Clock, redis: Redis | None) -> Throttle:
    """Counters in Redis when configured (shared by every process), else in this process's memory."""

    def now() -> float:
        return clock.now().timestamp()

    if redis is not None and settings.redis_url:
        limiter = LimitsRateLimiter(redis_storage(redis), now=now)
        distinct: DistinctCounter = RedisDistinctCounter(redis, now=now)
    else:
        limiter = LimitsRateLimiter(memory_storage(), now=now)
        distinct = MemoryDistinctCounter(now=now)
    return Throttle(
        limiter=limiter,
        distinct=distinct,
        policy=throttle_policy(settings),
        audit=audit,
        clock=clock,
        metrics=PrometheusThrottleMetrics(),
    )


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    if not settings.rate_limits_enabled:
        return ThrottlePolicy(routes={}, account_per_address=(), account=(), stuffing_accounts=2**31)

    def rates(text: str) -> tuple[Rate, ...]:
        return tuple(Rate(amount, seconds) for amount, seconds in parse_rates(text))

    return ThrottlePolicy(
        routes={
            "login": rates(settings.rate_limit_login),
            "signup": rates(settings.rate_limit_signup),
            "mfa": rates(settings.rate_limit_mfa),
            "password_reset": rates(settings.rate_limit_password_reset),
            "refresh": rates(settings.rate_limit_refresh),
            "revoke": rates(settings.rate_limit_revoke),
            "introspect": rates(settings.rate_limit_introspect),
        },
        account_per_address=rates(settings.account_limit_per_address),
        account=rates(settings.account_limit),
        stuffing_accounts=settings.stuffing_accounts,
        stuffing_window_seconds=settings.stuffing_window,
        stuffing_block_seconds=settings.stuffing_block,
    )


async def _assemble(
    settings: Settings, clock: Clock, database: Database, kek: bytes, redis: Redis | None
) -> Container:
    audit_repository = SqlAuditRepository(database)
    audit = AuditTrail([audit_repository, LogAuditSink(), MetricsAuditSink()])
    users = SqlUserRepository(database)
    leases = Leases(SqlLeaseRepository(database), clock)
    #: one cipher for everything the KEK protects: signing keys and TOTP secrets
    encryptor = KeyEncryptor(kek)
    keys = KeyService(
        repository=SqlKeyRepository(database),
        encryptor=encryptor,
        clock=clock,
        audit=audit,
        algorithm=settings.signing_algorithm,
        policy=rotation_policy(settings),
        leases=leases,
    )
    key_ring = await keys.ensure_active_key()
    try:
        key_ring.signing_key  # noqa: B018 - decrypt now, so a wrong KEK stops start-up instead of sign-ins
    except KeyDecryptionError as exc:
        raise ConfigurationError(
            [
                "TOKENWARD_KEK cannot decrypt the stored signing keys: it is not the key they were encrypted under"
            ]
        ) from exc
    audiences = tuple(settings.audiences)
    key_holder = KeyRingHolder(keys, key_ring, clock)

    def current_ring() -> KeyRing:
        return key_holder.ring

    issuer = AccessTokenIssuer(
        current_ring,
        AccessTokenSettings(
            issuer=settings.issuer, audiences=audiences, lifetime_seconds=settings.access_token_ttl
        ),
        clock,
    )
    verifier = AccessTokenVerifier(
        lambda kid: current_ring().verification_key(kid),
        VerificationPolicy(
            issuer=settings.issuer,
            audiences=frozenset(audiences),
            algorithms=frozenset(SUPPORTED_ALGORITHMS),
            leeway_seconds=settings.token_leeway,
        ),
        clock,
    )
    pool = HashingPool(max_concurrent=settings.hash_concurrency, max_waiting=settings.hash_queue_limit)
    credentials = Credentials(
        PasswordChecker(
            PasswordPolicy(min_length=settings.password_min_length, service_name=settings.service_name),
            load_common_passwords(),
        ),
        PasswordHasher(
            Argon2Parameters(
                memory_kib=settings.argon2_memory_kib,
                time_cost=settings.argon2_time_cost,
                parallelism=settings.argon2_parallelism,
            )
        ),
        pool,
        settings.service_name,
    )
    session_repository = SqlSessionRepository(database)
    deny_record = SqlDenyRecord(database)
    deny_list: DenyList = DurableDenyList(
        deny_record, RedisDenyList(redis, clock) if redis is not None else MemoryDenyList(clock), clock
    )
    revocations = Revocations(
        deny_list,
        DenyPolicy(
            access_token_lifetime=timedelta(seconds=settings.access_token_ttl),
            leeway=timedelta(seconds=settings.token_leeway),
        ),
        clock,
    )
    sessions = SessionService(
        sessions=session_repository,
        users=users,
        issuer=issuer,
        verifier=verifier,
        audit=audit,
        clock=clock,
        settings=SessionSettings(
            idle_ttl=timedelta(seconds=settings.session_idle_ttl),
            absolute_ttl=timedelta(seconds=settings.session_absolute_ttl),
            reuse_grace=timedelta(seconds=settings.refresh_reuse_grace),
            default_scope=settings.default_scope,
        ),
        revocations=revocations,
        learn_key=key_holder.learn,
    )
    mailer = build_mailer(settings, clock)
    one_time_token_repository = SqlOneTimeTokenRepository(database)
    one_time_tokens = OneTimeTokens(one_time_token_repository, clock)
    links = EmailFlowSettings(
        service_name=settings.service_name,
        public_url=settings.effective_public_url,
        verification_lifetime=timedelta(seconds=settings.email_verification_ttl),
        reset_lifetime=timedelta(seconds=settings.password_reset_ttl),
    )
    email_verification = EmailVerification(
        users=users, tokens=one_time_tokens, mailer=mailer, audit=audit, clock=clock, settings=links
    )
    throttle = build_throttle(settings, audit=audit, clock=clock, redis=redis)
    password_reset = PasswordReset(
        throttle=throttle,
        users=users,
        tokens=one_time_tokens,
        credentials=credentials,
        sessions=sessions,
        mailer=mailer,
        audit=audit,
        clock=clock,
        settings=links,
    )
    sign_in_notices = SignInNotices(
        devices=SqlKnownDeviceRepository(database),
        users=users,
        tokens=one_time_tokens,
        sessions=sessions,
        reset=password_reset,
        mailer=mailer,
        audit=audit,
        clock=clock,
        settings=NoticeSettings(links=links),
    )
    mfa_repository = SqlMfaRepository(database)
    cleanup = CleanupService(
        [
            EndedSessions(session_repository),
            ExpiredRefreshRecords(session_repository),
            ExpiredOneTimeTokens(one_time_token_repository),
            ExpiredMfaChallenges(mfa_repository),
            deny_record,
        ],
        leases,
        CleanupPolicy(
            session_idle_ttl=timedelta(seconds=settings.session_idle_ttl),
            retention=timedelta(seconds=settings.cleanup_retention),
        ),
        audit,
        clock,
    )
    mfa = MfaService(
        throttle=throttle,
        factors=mfa_repository,
        challenges=mfa_repository,
        encryptor=encryptor,
        sessions=sessions,
        audit=audit,
        clock=clock,
        settings=MfaSettings(
            issuer=settings.effective_mfa_issuer,
            reauthentication_window=timedelta(seconds=settings.reauthentication_window),
            challenge_lifetime=timedelta(seconds=settings.mfa_token_ttl),
            max_challenge_attempts=settings.mfa_max_attempts,
        ),
    )
    accounts = AccountService(
        users=users,
        credentials=credentials,
        sessions=sessions,
        mailer=mailer,
        audit=audit,
        clock=clock,
        settings=AccountSettings(
            service_name=settings.service_name,
            public_url=settings.effective_public_url,
            require_verified_email=settings.require_verified_email,
        ),
        throttle=throttle,
        mfa=mfa,
        verification=email_verification,
        notices=sign_in_notices,
        mfa_token_lifetime=timedelta(seconds=settings.mfa_token_ttl),
    )
    container = Container(
        settings=settings,
        clock=clock,
        database=database,
        audit=audit,
        keys=keys,
        key_holder=key_holder,
        accounts=accounts,
        sessions=sessions,
        hashing_pool=pool,
        audit_repository=audit_repository,
        users=users,
        throttle=throttle,
        mfa=mfa,
        email_verification=email_verification,
        password_reset=password_reset,
        sign_in_notices=sign_in_notices,
        mailer=mailer,
        api_clients=ApiClientService(SqlApiClientRepository(database), audit, clock),
        introspector=Introspector(sessions),
        cleanup=cleanup,
        deny_list=deny_list,
        redis=redis,
    )
    return container


def rotation_policy(settings: Settings) -> RotationPolicy:
    """Retired keys stay published until every token they signed has expired and every JWKS cache has
    refreshed: the longest access-token lifetime + leeway + the JWKS cache lifetime."""
    return RotationPolicy(
        interval=timedelta(seconds=settings.key_rotation_interval),
        publish_ahead=timedelta(seconds=settings.key_publish_ahead),
        retain_retired=timedelta(
            seconds=settings.access_token_ttl + settings.token_leeway + JWKS_MAX_AGE_SECONDS
        ),
    )


def build_mailer(settings: Settings, clock: Clock) -> Mailer:
    """SMTP (delivered in the background) when ``TOKENWARD_SMTP_HOST`` is set, else the outbox folder."""
    sender = settings.smtp_from or f"no-reply@{_host(settings.effective_public_url)}"
    if not settings.smtp_host:
        return OutboxMailer(settings.data_dir / "outbox", sender, clock)
    return BackgroundMailer(
        SmtpMailer(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=sender,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                starttls=settings.smtp_starttls,
                tls=settings.smtp_tls,
                timeout=settings.smtp_timeout,
            )
        )
    )


def _host(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "localhost"


def api_config(settings: Settings) -> ApiConfig:
    return ApiConfig(
        issuer=settings.issuer,
        audiences=tuple(settings.audiences),
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        trusted_proxies=tuple(settings.trusted_proxies),
        hsts=settings.issuer.startswith("https://"),
    )


def build_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await build_container(settings, clock=clock)
        app.state.container = container
        app.state.services = container.api_services()
        _log.info(
            "tokenward_started", issuer=settings.issuer, mode=settings.mode.value, database=_db_kind(settings)
        )
        background = container.background_tasks() if settings.background_tasks else None
        if background is not None:
            background.start()
        try:
            yield
        finally:
            if background is not None:
                await background.stop()
            await container.close()

    return create_app(api_config(settings), lifespan)


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory tokenward.bootstrap:app_from_environment``."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return build_app(settings)


def _db_kind(settings: Settings) -> str:
    return settings.effective_database_url.split(":", 1)[0]


async def preflight(settings: Settings) -> None:
    """Build the container (migrating, loading and decrypting keys) and close it again.

    Any failure becomes a ``ConfigurationError`` naming it, so ``serve`` can report it in one line.
    """
    try:
        container = await build_container(settings)
    except ConfigurationError:
        raise
    except Exception as exc:  # the database or Redis does not answer, a migration fails, ...
        first_line = (str(exc).splitlines() or [""])[0][:300]
        raise ConfigurationError([f"start-up failed: {type(exc).__name__}: {first_line}"]) from exc
    await container.close()


async def run_migrations(settings: Settings) -> str:
    """Bring the database schema up to date; returns the database kind for the message."""
    check_settings(settings)
    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    await migrate(settings.effective_database_url)
    return _db_kind(settings)

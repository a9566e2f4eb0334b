"""Which adapter serves which port: SQL for what must last, Redis or this process's memory for the rest.

Opening the stores creates the SQLite data folder (when the database is SQLite) and migrates the schema when
``auto_migrate`` is on; ``Stores.close`` gives every connection back. Redis, when configured, holds what every
process must share (rate-limit counters, the deny-list's fast copy; the database keeps its record); without
it they live in this process's memory. Mail
goes out over SMTP when a host is configured, else into the outbox folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from tokenward.adapters.distinct_counters import MemoryDistinctCounter, RedisDistinctCounter
from tokenward.adapters.email import BackgroundMailer, OutboxMailer, SmtpMailer, SmtpSettings
from tokenward.adapters.memory import MemoryDenyList
from tokenward.adapters.rate_limits import LimitsRateLimiter, memory_storage, redis_storage
from tokenward.adapters.redis import RedisDenyList, create_redis_client
from tokenward.adapters.sms import OutboxSmsSender, WebhookSettings, WebhookSmsSender
from tokenward.adapters.sql import (
    Database,
    SqlAuditStore,
    SqlDataKeyRepository,
    SqlKeyRepository,
    SqlSessionRepository,
    SqlUserRepository,
    migrate,
)
from tokenward.adapters.sql.clients import SqlClientRepository
from tokenward.adapters.sql.devices import SqlKnownDeviceRepository
from tokenward.adapters.sql.factors import SqlOtpRepository, SqlPasskeyRepository
from tokenward.adapters.sql.leases import SqlLeaseRepository
from tokenward.adapters.sql.mfa import SqlMfaRepository
from tokenward.adapters.sql.oidc import SqlAuthorizationCodeRepository, SqlConsentRepository
from tokenward.adapters.sql.one_time_tokens import SqlOneTimeTokenRepository
from tokenward.adapters.sql.personal_data import SqlUserDirectory
from tokenward.adapters.sql.revocations import SqlDenyRecord
from tokenward.config import Settings
from tokenward.domain.abuse.ports import DistinctCounter
from tokenward.domain.clock import Clock
from tokenward.domain.email.ports import Mailer
from tokenward.domain.mfa.sms import SmsSender
from tokenward.domain.sessions.durable_denylist import DurableDenyList
from tokenward.domain.sessions.ports import DenyList


@dataclass(frozen=True, slots=True)
class Stores:
    """The open connections: the database always, Redis when ``TOKENWARD_REDIS_URL`` is set."""

    database: Database
    redis: Redis | None

    async def close(self) -> None:
        await self.database.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def make_database_folder(settings: Settings) -> None:
    """An SQLite database file needs its folder (private to this user) before anything opens it."""
    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)


def database_kind(settings: Settings) -> str:
    """``sqlite+aiosqlite`` or ``postgresql+asyncpg``: what start-up and ``migrate`` report, never the URL."""
    return settings.effective_database_url.split(":", 1)[0]


async def open_stores(settings: Settings) -> Stores:
    url = settings.effective_database_url
    make_database_folder(settings)
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
    return Stores(database, redis)


@dataclass(frozen=True, slots=True)
class SqlRepositories:
    """Every repository the services keep in the database, all on one connection pool."""

    audit: SqlAuditStore
    audit_keys: SqlDataKeyRepository
    users: SqlUserRepository
    keys: SqlKeyRepository
    leases: SqlLeaseRepository
    sessions: SqlSessionRepository
    one_time_tokens: SqlOneTimeTokenRepository
    known_devices: SqlKnownDeviceRepository
    mfa: SqlMfaRepository
    clients: SqlClientRepository
    authorization_codes: SqlAuthorizationCodeRepository
    consents: SqlConsentRepository
    passkeys: SqlPasskeyRepository
    otp: SqlOtpRepository
    directory: SqlUserDirectory
    revocations: SqlDenyRecord
    #: units of work across these repositories (the domain's ``Transactions``)
    transactions: Database

    @classmethod
    def on(cls, database: Database) -> SqlRepositories:
        return cls(
            audit=SqlAuditStore(database),
            audit_keys=SqlDataKeyRepository(database),
            users=SqlUserRepository(database),
            keys=SqlKeyRepository(database),
            leases=SqlLeaseRepository(database),
            sessions=SqlSessionRepository(database),
            one_time_tokens=SqlOneTimeTokenRepository(database),
            known_devices=SqlKnownDeviceRepository(database),
            mfa=SqlMfaRepository(database),
            clients=SqlClientRepository(database),
            authorization_codes=SqlAuthorizationCodeRepository(database),
            consents=SqlConsentRepository(database),
            passkeys=SqlPasskeyRepository(database),
            otp=SqlOtpRepository(database),
            directory=SqlUserDirectory(database),
            revocations=SqlDenyRecord(database),
            transactions=database,
        )


def deny_list(redis: Redis | None, clock: Clock, record: SqlDenyRecord) -> DenyList:
    """Revoked sessions and access tokens: recorded in the database, copied to Redis (so every process refuses
    them at once) or else to this process's memory."""
    copy = RedisDenyList(redis, clock) if redis is not None else MemoryDenyList(clock)
    return DurableDenyList(record, copy, clock)


def throttle_counters(
    settings: Settings, redis: Redis | None, clock: Clock
) -> tuple[LimitsRateLimiter, DistinctCounter]:
    """Counters in Redis when configured (shared by every process), else in this process's memory."""

    def now() -> float:
        return clock.now().timestamp()

    if redis is not None and settings.redis_url:
        shared = LimitsRateLimiter(redis_storage(redis), now=now)
        return shared, RedisDistinctCounter(redis, now=now)
    return LimitsRateLimiter(memory_storage(), now=now), MemoryDistinctCounter(now=now)


def build_mailer(settings: Settings, clock: Clock) -> Mailer:
    """SMTP (delivered in the background) when ``TOKENWARD_SMTP_HOST`` is set, else the outbox folder."""
    sender = settings.smtp_from or f"no-reply@{_host(settings.effective_public_url)}"
    if not settings.smtp_host:
        return OutboxMailer(settings.data_dir / "outbox", sender, clock)
    return BackgroundMailer(SmtpMailer(_smtp_settings(settings, settings.smtp_host, sender)))


def build_sms_sender(settings: Settings, clock: Clock) -> SmsSender:
    """The operator's gateway (a signed webhook) when configured, else the development outbox folder."""
    if settings.sms_webhook_url and settings.sms_webhook_secret:
        return WebhookSmsSender(
            WebhookSettings(
                url=settings.sms_webhook_url,
                secret=settings.sms_webhook_secret.get_secret_value().encode(),
                timeout=settings.sms_webhook_timeout,
                retries=settings.sms_webhook_retries,
            ),
            clock,
        )
    return OutboxSmsSender(settings.data_dir / "sms-outbox", clock)


def _smtp_settings(settings: Settings, host: str, sender: str) -> SmtpSettings:
    return SmtpSettings(
        host=host,
        port=settings.smtp_port,
        sender=sender,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
        tls=settings.smtp_tls,
        timeout=settings.smtp_timeout,
    )


def _host(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "localhost"

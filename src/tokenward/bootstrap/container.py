"""The container: every wired service of one running Tokenward, and how it is built and closed.

``build_container`` is the one path from settings to services, shared by the server's lifespan (``app``), the
CLI (``commands`` and ``tokenward.cli``) and the tests: start-up checks and logging (``startup``), the KEK
(``keys``), the stores (``stores``), the key ring, then every service (``services``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from redis.asyncio import Redis

from tokenward.adapters.email import BackgroundMailer
from tokenward.adapters.logging import LogAuditSink, get_logger
from tokenward.adapters.metrics import MetricsAuditSink
from tokenward.adapters.redis.client import ping as ping_redis
from tokenward.adapters.sql import Database, SqlUserRepository
from tokenward.api.services import ApiServices
from tokenward.background import BackgroundTasks, PeriodicTask
from tokenward.bootstrap.keys import load_kek, open_key_ring
from tokenward.bootstrap.services import (
    Basis,
    build_accounts,
    build_administration,
    build_cleanup,
    build_credentials,
    build_email_flows,
    build_mfa,
    build_openid,
    build_sessions,
    build_throttle,
    hashing_pool,
)
from tokenward.bootstrap.startup import start_up
from tokenward.bootstrap.stores import SqlRepositories, Stores, build_mailer, deny_list, open_stores
from tokenward.config import Settings
from tokenward.domain.abuse.throttle import Throttle
from tokenward.domain.accounts.administration import AdminService
from tokenward.domain.accounts.passwords import HashingPool
from tokenward.domain.accounts.privacy import PrivacyService
from tokenward.domain.accounts.service import AccountService
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.audit.log import AuditLog
from tokenward.domain.audit.personal import PersonalDataVault
from tokenward.domain.cleanup import CleanupService
from tokenward.domain.clients import ClientRegistry
from tokenward.domain.clock import Clock, SystemClock
from tokenward.domain.email.address_change import EmailChange
from tokenward.domain.email.flows import EmailVerification, PasswordReset
from tokenward.domain.email.ports import Mailer
from tokenward.domain.email.sign_in_notices import SignInNotices
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.kek_rotation import KekRotation
from tokenward.domain.keys.ring import KeyRing, KeyRingHolder
from tokenward.domain.keys.rotation import KeyService
from tokenward.domain.leases import Leases
from tokenward.domain.mfa import MfaService
from tokenward.domain.mfa.factors import FactorManagement
from tokenward.domain.oidc import Consents, OidcProvider
from tokenward.domain.sessions.introspection import Introspector
from tokenward.domain.sessions.ports import DenyList
from tokenward.domain.sessions.service import SessionService
from tokenward.domain.tokens.refusals import TokenRefusals
from tokenward.pages import derive_page_secret

_log = get_logger("tokenward.audit")

#: how often each process runs the key-rotation step (a lease makes one of them do the work)
KEY_ROTATION_STEP_SECONDS = 60


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
    audit_log: AuditLog
    vault: PersonalDataVault
    users: SqlUserRepository
    throttle: Throttle
    mfa: MfaService
    factors: FactorManagement
    email_verification: EmailVerification
    password_reset: PasswordReset
    sign_in_notices: SignInNotices
    email_change: EmailChange
    mailer: Mailer
    clients: ClientRegistry
    oidc: OidcProvider
    consents: Consents
    introspector: Introspector
    cleanup: CleanupService
    privacy: PrivacyService
    admin: AdminService
    deny_list: DenyList
    redis: Redis | None = None
    #: seals the hosted pages' session cookie (derived from the KEK, so every process shares it)
    page_secret: bytes = b""

    @property
    def key_ring(self) -> KeyRing:
        return self.key_holder.ring

    async def reload_keys(self) -> KeyRing:
        return await self.key_holder.reload()

    def kek_rotation(self) -> KekRotation:
        """Everything the key-encryption key protects: signing keys and TOTP secrets."""
        return KekRotation(keys=self.keys, mfa=self.mfa, vault=self.vault, audit=self.audit)

    def background_tasks(self) -> BackgroundTasks:
        """Key-rotation step, key-ring reload and clean-up, each at its interval (docs/operations.md)."""

        async def reload() -> None:
            await self.reload_keys()

        return BackgroundTasks(
            [
                PeriodicTask("key_rotation", KEY_ROTATION_STEP_SECONDS, self.keys.scheduled_step),
                PeriodicTask("key_reload", self.settings.key_reload_interval, reload),
                PeriodicTask("cleanup", self.settings.cleanup_interval, self.cleanup.run),
                PeriodicTask("audit_head", self.settings.audit_head_log_interval, self.log_audit_head),
            ]
        )

    async def log_audit_head(self) -> None:
        """Log the chain head: a later ``audit verify`` that ends before a logged head shows a cut-off tail."""
        head = await self.audit_log.head()
        _log.info("audit_chain_head", seq=head.seq, hash=head.hash)

    def api_services(self) -> ApiServices:
        return ApiServices(
            accounts=self.accounts,
            sessions=self.sessions,
            jwks=lambda: self.key_ring.jwks(),
            mfa=self.mfa,
            factors=self.factors,
            email_verification=self.email_verification,
            password_reset=self.password_reset,
            sign_in_notices=self.sign_in_notices,
            clients=self.clients,
            oidc=self.oidc,
            consents=self.consents,
            email_change=self.email_change,
            introspector=self.introspector,
            privacy=self.privacy,
            admin=self.admin,
            readiness_checks=self._readiness_checks(),
            throttle=self.throttle,
            token_refusals=TokenRefusals(self.audit, self.clock),
            page_secret=self.page_secret,
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
        await Stores(self.database, self.redis).close()


async def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    """Check the settings, open the stores and the key ring, and wire every service; on failure close again."""
    start_up(settings)
    clock = clock or SystemClock()
    kek = load_kek(settings)
    stores = await open_stores(settings)
    try:
        return await _assemble(settings, clock, stores, kek)
    except BaseException:
        await stores.close()
        raise


async def _assemble(settings: Settings, clock: Clock, stores: Stores, kek: bytes) -> Container:
    repositories = SqlRepositories.on(stores.database)
    #: one cipher for everything the KEK protects: signing keys, TOTP secrets, audit data keys
    encryptor = KeyEncryptor(kek)
    vault = PersonalDataVault(repositories.audit_keys, encryptor, clock)
    audit_log = AuditLog(repositories.audit, vault)
    audit = AuditTrail([audit_log, LogAuditSink(), MetricsAuditSink()], clock)
    leases = Leases(repositories.leases, clock)
    keys, key_holder = await open_key_ring(
        settings, repository=repositories.keys, encryptor=encryptor, leases=leases, audit=audit, clock=clock
    )
    basis = Basis(settings, clock, audit, repositories)
    container = _wire(
        basis,
        stores,
        keys=keys,
        key_holder=key_holder,
        encryptor=encryptor,
        leases=leases,
        audit_log=audit_log,
    )
    container.page_secret = derive_page_secret(kek)
    return container


def _wire(
    basis: Basis,
    stores: Stores,
    *,
    keys: KeyService,
    key_holder: KeyRingHolder,
    encryptor: KeyEncryptor,
    leases: Leases,
    audit_log: AuditLog,
) -> Container:
    """Every service on top of the opened key ring, each built once and handed to those that call it."""
    settings, clock, audit, repositories = basis.settings, basis.clock, basis.audit, basis.repositories
    pool = hashing_pool(settings)
    credentials = build_credentials(settings, pool)
    denied = deny_list(stores.redis, clock, repositories.revocations)
    sessions = build_sessions(basis, key_holder, denied)
    mailer = build_mailer(settings, clock)
    throttle = build_throttle(settings, audit=audit, clock=clock, redis=stores.redis)
    email = build_email_flows(
        basis, mailer=mailer, throttle=throttle, credentials=credentials, sessions=sessions
    )
    factors = build_mfa(basis, throttle=throttle, encryptor=encryptor, sessions=sessions, mailer=mailer)
    mfa = factors.mfa
    openid = build_openid(basis, key_holder, sessions)
    administration = build_administration(
        basis,
        audit_log=audit_log,
        sessions=sessions,
        credentials=credentials,
        mfa=mfa,
        verification=email.verification,
    )
    return Container(
        settings=settings,
        clock=clock,
        database=stores.database,
        audit=audit,
        keys=keys,
        key_holder=key_holder,
        accounts=build_accounts(
            basis,
            credentials=credentials,
            sessions=sessions,
            mailer=mailer,
            throttle=throttle,
            mfa=mfa,
            email=email,
        ),
        sessions=sessions,
        hashing_pool=pool,
        audit_log=audit_log,
        vault=audit_log.vault,
        users=repositories.users,
        throttle=throttle,
        mfa=mfa,
        factors=factors.management,
        email_verification=email.verification,
        password_reset=email.reset,
        sign_in_notices=email.notices,
        email_change=email.change,
        mailer=mailer,
        clients=openid.clients,
        oidc=openid.provider,
        consents=openid.consents,
        introspector=Introspector(sessions),
        cleanup=build_cleanup(basis, leases, audit_log),
        deny_list=denied,
        privacy=administration.privacy,
        admin=administration.admin,
        redis=stores.redis,
    )

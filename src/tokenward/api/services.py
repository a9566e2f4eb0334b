"""What the API needs from the rest of the system, handed over by the composition root.

The API never builds services or touches storage itself; ``bootstrap`` builds this bundle at start-up and the
routes read it from ``request.app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tokenward.api.browser import BrowserConfig
from tokenward.api.last_resort import Triage, log_unhandled
from tokenward.domain.abuse.throttle import Throttle
from tokenward.domain.accounts.administration import AdminService
from tokenward.domain.accounts.privacy import PrivacyService
from tokenward.domain.accounts.service import AccountService
from tokenward.domain.clients import ClientRegistry
from tokenward.domain.email.address_change import EmailChange
from tokenward.domain.email.flows import EmailVerification, PasswordReset
from tokenward.domain.email.sign_in_notices import SignInNotices
from tokenward.domain.mfa import MfaService
from tokenward.domain.mfa.factors import FactorManagement
from tokenward.domain.oidc import Consents, OidcProvider
from tokenward.domain.sessions.introspection import Introspector
from tokenward.domain.sessions.service import SessionService
from tokenward.domain.tokens.refusals import TokenRefusals


@dataclass(frozen=True, slots=True)
class ApiConfig:
    issuer: str
    audiences: tuple[str, ...]
    max_body_bytes: int = 64 * 1024
    max_header_bytes: int = 16 * 1024
    trusted_proxies: tuple[str, ...] = ()
    #: send Strict-Transport-Security (the issuer is https)
    hsts: bool = False
    scopes_supported: tuple[str, ...] = ("openid", "profile")
    #: a 401 names the verifier rule that failed (development); production says only ``invalid_token``
    explain_token_refusals: bool = True
    browser: BrowserConfig = field(default_factory=BrowserConfig)
    #: what an exception that escaped every route becomes (``api.last_resort``); bootstrap passes the adapters'
    triage: Triage = log_unhandled


@dataclass(slots=True)
class ApiServices:
    accounts: AccountService
    sessions: SessionService
    #: the current JWKS document (public keys only)
    jwks: Callable[[], dict[str, Any]]
    mfa: MfaService
    #: passkeys and SMS/e-mail factors
    factors: FactorManagement
    email_verification: EmailVerification
    password_reset: PasswordReset
    sign_in_notices: SignInNotices
    #: registered clients: OpenID Connect relying parties and resource servers (introspection, revocation)
    clients: ClientRegistry
    oidc: OidcProvider
    consents: Consents
    email_change: EmailChange
    introspector: Introspector
    privacy: PrivacyService
    admin: AdminService
    #: raises when a dependency (database, Redis) does not answer
    readiness_checks: dict[str, Callable[[], Awaitable[object]]] = field(default_factory=dict)
    #: abuse protection (rate limits, back-off); ``None`` only in tests that build services by hand
    throttle: Throttle | None = None
    #: records refused access tokens in the audit trail (within a budget); ``None`` in hand-built services
    token_refusals: TokenRefusals | None = None
    #: 32 bytes derived from the key-encryption key: seals the hosted pages' session cookie
    page_secret: bytes = b""

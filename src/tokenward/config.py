"""Settings, read from ``TOKENWARD_*`` environment variables (and ``*_FILE`` variants for secrets).

Nothing is read at import time: ``Settings()`` is built by the composition root (``bootstrap``) or the CLI.
With no configuration at all the server runs in development mode on the embedded defaults (SQLite in
``./tokenward-data``, in-process stores, a generated key-encryption key). In production mode
``insecure_settings()`` names every setting that would be unsafe and the server refuses to start.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from tokenward.config_factors import FactorSettings
from tokenward.config_rates import Rates, parse_rates
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS

MAX_ACCESS_TOKEN_TTL = 3600
_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:]+\](:[0-9]{1,5})?")
#: secrets that may instead be given as a path in ``TOKENWARD_<NAME>_FILE``
FILE_SECRETS = ("kek", "database_url", "redis_url", "smtp_password", "sms_webhook_secret")


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def _split_list(value: Any) -> Any:
    """Accept ``a,b`` as well as a JSON list for list settings given in the environment."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


def is_exact_origin(text: str) -> bool:
    """``scheme://host[:port]`` exactly as a browser sends it in ``Origin``: lower case, nothing after it."""
    return bool(_ORIGIN.fullmatch(text))


#: each route limited per client address has one ``rate_limit_<route>`` setting; these fields are the one list
#: of such routes (``RATE_LIMITED_ROUTES`` and ``Settings.route_rates`` are read from them)
ROUTE_RATES_PREFIX = "rate_limit_"


def decode_kek(text: str) -> bytes:
    """A key-encryption key is 32 bytes, given as base64 (standard or URL-safe) or 64 hex digits."""
    text = text.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("TOKENWARD_KEK must be 32 bytes as base64 or 64 hex digits") from exc
    if len(raw) != 32:
        raise ValueError(f"TOKENWARD_KEK must decode to 32 bytes, got {len(raw)}")
    return raw


class Settings(FactorSettings):
    model_config = SettingsConfigDict(
        env_prefix="TOKENWARD_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path("tokenward-data")
    database_url: str | None = None
    redis_url: str | None = None
    auto_migrate: bool = True

    # outages (docs/operations.md, "Outages")
    #: how long ``serve`` waits for the database at start-up before it gives up (exit code 3)
    startup_timeout: float = Field(default=30.0, ge=0, le=3600)
    #: after SIGTERM, how long requests already received may take before the process exits anyway
    shutdown_grace: int = Field(default=10, ge=0, le=3600)
    #: opening a database connection, or waiting for a free one in the pool, fails after this long
    database_connect_timeout: float = Field(default=5.0, gt=0, le=300)
    #: one SQL statement fails after this long (measured by the client: it also ends a stalled network path)
    database_statement_timeout: float = Field(default=15.0, gt=0, le=3600)
    #: one Redis command (or connect) fails after this long
    redis_timeout: float = Field(default=2.0, gt=0, le=60)

    #: in development, unset, ``tokenward serve`` uses the address it serves (``development_issuer``)
    issuer: str = "http://127.0.0.1:8000"
    #: base URL used in every link the server builds (e-mails); defaults to the issuer
    public_url: str | None = None
    audiences: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["tokenward"])
    service_name: str = "Tokenward"

    kek: SecretStr | None = None
    signing_algorithm: str = "ES256"
    access_token_ttl: int = Field(default=600, ge=60, le=MAX_ACCESS_TOKEN_TTL)
    token_leeway: int = Field(default=30, ge=0, le=120)
    #: verified access tokens each process remembers (a repeat skips the signature check); 0 turns it off
    verified_token_cache_size: int = Field(default=2048, ge=0, le=1_000_000)
    default_scope: str = "openid profile"

    # token life cycle: signing-key rotation, key-ring reload, clean-up (docs/security/token-lifecycle.md)
    key_rotation_interval: int = Field(default=30 * 24 * 3600, ge=3600)
    #: a new key is published this long before it signs: at least the JWKS cache lifetime plus a margin
    key_publish_ahead: int = Field(default=24 * 3600, ge=600)
    #: each process re-reads the key ring this often (bounded staleness of rotation and key revocation)
    key_reload_interval: int = Field(default=30, ge=1, le=300)
    cleanup_interval: int = Field(default=3600, ge=60)
    #: revoked sessions and expired refresh-token hashes are kept this long before clean-up deletes them
    cleanup_retention: int = Field(default=7 * 24 * 3600, ge=0)
    #: personal fields (IP address, user agent) of audit events older than this are deleted by the clean-up
    audit_retention_days: int = Field(default=365, ge=1, le=3650)
    #: how often each server process logs the audit chain's head (seq and hash), so a cut-off tail shows
    audit_head_log_interval: int = Field(default=3600, ge=10)
    #: run the periodic tasks (key rotation step, key-ring reload, clean-up) inside the server
    background_tasks: bool = True

    refresh_reuse_grace: int = Field(default=10, ge=0, le=60)
    session_idle_ttl: int = Field(default=14 * 24 * 3600, ge=300)
    session_absolute_ttl: int = Field(default=30 * 24 * 3600, ge=300)

    password_min_length: int = Field(default=8, ge=8, le=64)
    argon2_memory_kib: int = Field(default=19456, ge=8)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_parallelism: int = Field(default=1, ge=1)
    hash_concurrency: int = Field(default=2, ge=1)
    hash_queue_limit: int = Field(default=32, ge=0)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    log_json: bool = True

    # abuse protection (docs/operations.md, "Rate limits and lock-out")
    rate_limits_enabled: bool = True
    #: per-route limits per client address: adding a ``rate_limit_<route>`` field here limits ``<route>``
    rate_limit_login: Rates = "30/minute;300/hour"
    rate_limit_signup: Rates = "10/minute;50/hour"
    rate_limit_mfa: Rates = "20/minute;100/hour"
    rate_limit_password_reset: Rates = "5/minute;20/hour"
    rate_limit_refresh: Rates = "60/minute;1000/hour"
    rate_limit_revoke: Rates = "60/minute;1000/hour"
    rate_limit_authorize: Rates = "60/minute;1000/hour"
    rate_limit_userinfo: Rates = "120/minute;3000/hour"
    rate_limit_introspect: Rates = "6000/minute"
    account_limit_per_address: Rates = "5/minute;20/hour"
    account_limit: Rates = "10/minute;100/hour"
    stuffing_accounts: int = Field(default=20, ge=2)
    stuffing_window: int = Field(default=600, ge=10)
    stuffing_block: int = Field(default=900, ge=10)
    max_header_bytes: int = Field(default=16384, ge=4096, le=65536)
    #: seconds a client has to send a whole request head, a whole body, and to start its next request on an
    #: idle kept-alive connection (a load balancer in front should time out idle connections sooner)
    http_head_timeout: float = Field(default=10.0, gt=0, le=300)
    http_body_timeout: float = Field(default=30.0, gt=0, le=600)
    http_keepalive_timeout: float = Field(default=5.0, gt=0, le=3600)

    # e-mail (SMTP when smtp_host is set, else the outbox folder) and the flows that send it
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    #: upgrade the connection with STARTTLS (port 587); ``smtp_tls`` is implicit TLS (port 465)
    smtp_starttls: bool = True
    smtp_tls: bool = False
    smtp_timeout: float = Field(default=10.0, gt=0, le=120)
    #: the From address; defaults to no-reply@<host of the public URL>
    smtp_from: str | None = None
    require_verified_email: bool = False
    email_verification_ttl: int = Field(default=24 * 3600, ge=300)
    password_reset_ttl: int = Field(default=1800, ge=300, le=24 * 3600)

    # multi-factor sign-in
    #: the issuer name authenticator apps show; defaults to the service name
    mfa_issuer: str | None = None
    mfa_token_ttl: int = Field(default=300, ge=60, le=900)
    mfa_max_attempts: int = Field(default=5, ge=1, le=20)
    #: how recent a sign-in must be to enrol or remove a factor or regenerate recovery codes
    reauthentication_window: int = Field(default=600, ge=60, le=3600)

    # browser apps (README "Browser apps"): CORS, the cookie transport and the hosted pages
    #: exact origins (``https://app.example.com``) whose scripts may call the API with credentials
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: exact URLs the hosted sign-in page may send the browser back to (``?return_to=``)
    return_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: a path on this server or a ``data:image/...`` URI (pages load nothing from another origin)
    brand_logo_url: str | None = None
    brand_accent_color: str = "#2f5bd3"

    @field_validator(
        "audiences", "trusted_proxies", "cors_origins", "return_urls", "webauthn_origins", mode="before"
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("account_limit")
    @classmethod
    def _nist_cap(cls, value: str) -> str:
        """NIST SP 800-63B §5.2.2: no more than 100 failed attempts per account; we read it as per hour."""
        if not any(
            seconds >= 3600 and amount * 3600 / seconds <= 100 for amount, seconds in parse_rates(value)
        ):
            raise ValueError(
                "must include a window of an hour or more allowing at most 100 attempts per hour"
            )
        return value

    @field_validator("signing_algorithm")
    @classmethod
    def _algorithm(cls, value: str) -> str:
        if value not in SUPPORTED_ALGORITHMS:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_ALGORITHMS)}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @field_validator("issuer", "public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not is_exact_origin(origin):
                raise ValueError(
                    f"{origin!r} is not an exact origin such as https://app.example.com "
                    "(scheme, host and optional port; no path, no wildcard)"
                )
        return value

    @field_validator("return_urls")
    @classmethod
    def _return_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")) or "#" in url or "*" in url:
                raise ValueError(f"{url!r} must be an absolute http(s) URL without a fragment or wildcard")
        return value

    @field_validator("brand_logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is None:
            return value
        same_origin_path = value.startswith("/") and not value.startswith("//") and "\\" not in value
        if not (
            same_origin_path or re.fullmatch(r"data:image/(png|svg\+xml|webp);base64,[A-Za-z0-9+/=]+", value)
        ):
            raise ValueError("must be a path on this server (/...) or a data:image/...;base64 URI")
        return value

    @field_validator("brand_accent_color")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("must be a colour such as #2f5bd3")
        return value

    @field_validator("audiences")
    @classmethod
    def _audiences(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one audience is required")
        return value

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        """``TOKENWARD_KEK_FILE=/run/secrets/kek`` reads the secret from that file (Docker/Kubernetes style)."""
        import os

        if not isinstance(data, dict):
            return data
        for name in FILE_SECRETS:
            path = os.environ.get(f"TOKENWARD_{name.upper()}_FILE") or data.pop(f"{name}_file", None)
            if path and data.get(name) is None and not os.environ.get(f"TOKENWARD_{name.upper()}"):
                data[name] = Path(path).read_text(encoding="utf-8").strip()
        return data

    @model_validator(mode="after")
    def _key_rotation(self) -> Settings:
        if self.key_publish_ahead >= self.key_rotation_interval:
            raise ValueError("key_publish_ahead must be shorter than key_rotation_interval")
        return self

    @model_validator(mode="after")
    def _lifetimes(self) -> Settings:
        if self.session_idle_ttl > self.session_absolute_ttl:
            raise ValueError("session_idle_ttl must not exceed session_absolute_ttl")
        return self

    @model_validator(mode="after")
    def _smtp_security(self) -> Settings:
        if self.smtp_tls and self.smtp_starttls and "smtp_starttls" in self.model_fields_set:
            raise ValueError("choose one of smtp_tls (implicit TLS) and smtp_starttls, not both")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tokenward.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or self.issuer).rstrip("/")

    def development_issuer(self, host: str, port: int) -> str | None:
        """The issuer of a development server started with no issuer set: the address being served, so that
        discovery and the tokens name the port in use. ``None`` when the issuer is set or in production."""
        if self.is_production or "issuer" in self.model_fields_set:
            return None
        if host in ("", "0.0.0.0", "::"):  # every interface: name the loopback one  # noqa: S104
            host = "127.0.0.1"
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def effective_mfa_issuer(self) -> str:
        return self.mfa_issuer or self.service_name

    @property
    def dev_kek_path(self) -> Path:
        return self.data_dir / "dev-kek"

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def route_rates(self) -> dict[str, str]:
        """Each rate-limited route and its rates as written, e.g. ``{"login": "30/minute;300/hour", ...}``."""
        return {route: getattr(self, ROUTE_RATES_PREFIX + route) for route in RATE_LIMITED_ROUTES}

    def insecure_settings(self) -> list[str]:
        """Every problem that makes this configuration unsafe for production, in plain words."""
        problems: list[str] = []
        if self.kek is None:
            problems.append(
                "TOKENWARD_KEK (or TOKENWARD_KEK_FILE) is not set: signing keys would be encrypted under a "
                "generated development key stored next to the database"
            )
        else:
            try:
                kek = decode_kek(self.kek.get_secret_value())
            except ValueError as exc:
                problems.append(str(exc))
            else:
                if (
                    self.dev_kek_path.exists()
                    and self.dev_kek_path.read_bytes().strip() == base64.urlsafe_b64encode(kek)
                ):
                    problems.append("TOKENWARD_KEK is the generated development key; create a new secret key")
        if not self.issuer.startswith("https://"):
            problems.append(f"TOKENWARD_ISSUER must be an https:// URL in production (got {self.issuer})")
        if self.public_url is not None and not self.public_url.startswith("https://"):
            problems.append("TOKENWARD_PUBLIC_URL must be an https:// URL in production")
        if self.argon2_memory_kib < 19456 or self.argon2_time_cost < 2:
            problems.append("Argon2 parameters are below the OWASP minimum (m=19456 KiB, t=2)")
        if self.database_url is None:
            problems.append(
                "TOKENWARD_DATABASE_URL is not set: production needs an explicit database (PostgreSQL for "
                "more than one process)"
            )
        if "*" in self.trusted_proxies or any(p in ("0.0.0.0/0", "::/0") for p in self.trusted_proxies):
            problems.append("TOKENWARD_TRUSTED_PROXIES trusts every address: client IPs could be spoofed")
        for origin in [*self.cors_origins, *self.return_urls]:
            if not origin.startswith("https://"):
                problems.append(f"TOKENWARD_CORS_ORIGINS and TOKENWARD_RETURN_URLS need https:// ({origin})")
        problems.extend(self.factor_problems())
        if self.smtp_host and self.smtp_username and not (self.smtp_starttls or self.smtp_tls):
            problems.append(
                "SMTP credentials would travel in plain text: set TOKENWARD_SMTP_STARTTLS or TOKENWARD_SMTP_TLS"
            )
        return problems


#: the routes limited per client address (``api.rate_limit.rate_limited``), read from the settings' fields
RATE_LIMITED_ROUTES: tuple[str, ...] = tuple(
    name.removeprefix(ROUTE_RATES_PREFIX)
    for name in Settings.model_fields
    if name.startswith(ROUTE_RATES_PREFIX)
)

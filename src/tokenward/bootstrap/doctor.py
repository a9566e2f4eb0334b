"""``tokenward doctor``: what can be seen of the deployment checklist, each item ok, warn or fail, with why.

The settings alone tell whether the issuer and CORS origins are https, whether the key-encryption key is a real
secret, and whether the database, Redis and SMTP connections are encrypted. The database itself tells the rest
(``doctor_database``): whether its clock agrees with ours, and what the role Tokenward connects as may do; the
runtime role should neither alter the schema nor change audit rows (docs/operations.md).

A finding that production refuses or that undoes a control is ``fail`` in production and ``warn`` in
development, where plain http and a generated key are expected. The command exits non-zero when anything fails.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import ip_address

from sqlalchemy.engine import make_url

from tokenward.config import Settings, decode_kek

#: fewer distinct byte values than this in 32 bytes is no random key (a random one has about 30)
MIN_DISTINCT_KEK_BYTES = 16
#: PostgreSQL ``sslmode`` values that encrypt; only ``verify-full`` also proves the server's name
_ENCRYPTING_SSL_MODES = frozenset({"require", "verify-ca", "verify-full", "true"})


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    explanation: str


def is_local_host(host: str | None) -> bool:
    """A loopback address, ``localhost`` or a Unix socket path: traffic that never crosses a network."""
    if host is None or host == "" or host.startswith("/") or host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bad(settings: Settings) -> Status:
    """How serious a finding that production would not accept is in this mode."""
    return Status.FAIL if settings.is_production else Status.WARN


def check_production_settings(settings: Settings) -> Check:
    problems = settings.insecure_settings()
    if not problems:
        return Check("production settings", Status.OK, "no insecure settings found")
    label = "production refuses to start" if settings.is_production else "production would refuse to start"
    summary = f"{label} with {len(problems)} setting(s): " + "; ".join(problems)
    return Check("production settings", _bad(settings), summary)


def check_kek(settings: Settings) -> Check:
    if settings.kek is None:
        return Check(
            "key-encryption key",
            _bad(settings),
            "TOKENWARD_KEK is not set: the generated development key is used",
        )
    try:
        kek = decode_kek(settings.kek.get_secret_value())
    except ValueError as exc:
        return Check("key-encryption key", Status.FAIL, str(exc))
    dev = settings.dev_kek_path
    if dev.exists() and dev.read_bytes().strip() == base64.urlsafe_b64encode(kek):
        return Check("key-encryption key", _bad(settings), "TOKENWARD_KEK is the generated development key")
    if len(set(kek)) < MIN_DISTINCT_KEK_BYTES:
        return Check(
            "key-encryption key",
            Status.FAIL,
            f"TOKENWARD_KEK has only {len(set(kek))} distinct byte values in 32: not a random key "
            "(create one with `openssl rand -base64 32`)",
        )
    return Check("key-encryption key", Status.OK, "32 bytes, not the development key, no visible pattern")


def check_public_urls(settings: Settings) -> Check:
    """The issuer, the public URL and every CORS origin must be https (browsers and tokens name them)."""
    urls = [settings.issuer, *([settings.public_url] if settings.public_url else [])]
    urls += settings.cors_origins
    plain = [url for url in urls if not url.startswith("https://")]
    if not plain:
        return Check("issuer and origins", Status.OK, f"{len(urls)} URL(s), all https")
    return Check("issuer and origins", _bad(settings), "not https: " + ", ".join(plain))


def check_database_tls(settings: Settings) -> Check:
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        return Check("database TLS", Status.OK, "SQLite: a local file, no network connection")
    mode = str(url.query.get("sslmode") or url.query.get("ssl") or "").lower()
    if mode == "verify-full":
        return Check(
            "database TLS", Status.OK, "sslmode=verify-full: encrypted, server certificate and name checked"
        )
    if mode in _ENCRYPTING_SSL_MODES:
        return Check(
            "database TLS",
            Status.WARN,
            f"sslmode={mode}: encrypted, but the server's name is not checked; use verify-full",
        )
    if is_local_host(url.host):
        return Check("database TLS", Status.OK, f"no TLS, but {url.host or 'a Unix socket'} is local")
    return Check(
        "database TLS",
        _bad(settings),
        f"no TLS to {url.host}: password hashes and tokens cross the network in the clear; add sslmode=verify-full",
    )


def check_redis_tls(settings: Settings) -> Check:
    if settings.redis_url is None:
        return Check("Redis TLS", Status.OK, "Redis is not used (in-process stores)")
    url = make_url(settings.redis_url.replace("rediss://", "redis+tls://", 1))
    if settings.redis_url.startswith("rediss://"):
        if str(url.query.get("ssl_cert_reqs", "required")).lower() == "none":
            return Check(
                "Redis TLS", Status.WARN, "rediss:// with ssl_cert_reqs=none: the server is not verified"
            )
        return Check("Redis TLS", Status.OK, "rediss://: encrypted and the server certificate checked")
    if settings.redis_url.startswith("unix://") or is_local_host(url.host):
        return Check("Redis TLS", Status.OK, "no TLS, but Redis is local")
    return Check("Redis TLS", _bad(settings), f"redis:// to {url.host} is not encrypted; use rediss://")


def check_smtp_tls(settings: Settings) -> Check:
    if settings.smtp_host is None:
        return Check("SMTP TLS", Status.OK, "no SMTP server: e-mails go to the outbox folder")
    if settings.smtp_tls or settings.smtp_starttls:
        kind = "implicit TLS" if settings.smtp_tls else "STARTTLS"
        return Check("SMTP TLS", Status.OK, f"{kind} to {settings.smtp_host}")
    if is_local_host(settings.smtp_host):
        return Check("SMTP TLS", Status.OK, "no TLS, but the SMTP server is local")
    return Check(
        "SMTP TLS",
        _bad(settings),
        f"no TLS to {settings.smtp_host}: reset and verification links travel in the clear",
    )


def settings_checks(settings: Settings) -> list[Check]:
    """Every check that needs nothing but the settings."""
    return [
        check_production_settings(settings),
        check_kek(settings),
        check_public_urls(settings),
        check_database_tls(settings),
        check_redis_tls(settings),
        check_smtp_tls(settings),
    ]


def passes(checks: list[Check]) -> bool:
    """Whether the deployment passes: nothing failed (warnings are for the operator to weigh)."""
    return all(check.status is not Status.FAIL for check in checks)

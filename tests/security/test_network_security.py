"""Man in the middle (T-NET-01): what Tokenward does so that a network attacker reads and changes nothing.

TLS itself ends at the proxy in front of Tokenward; these tests prove the parts Tokenward owns: HSTS when the
issuer is https, ``Secure`` host-only cookies, production refusing plain-http URLs, and database and Redis URLs
that ask for TLS never falling back to plain text.
"""

from __future__ import annotations

import datetime
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tests.browser_support import APP_ORIGIN, browser_app, https_client
from tests.harness import STRONG_PASSWORD, RunningApp, make_settings, running_app

from tokenward.adapters.redis import create_redis_client
from tokenward.adapters.sql.database import Database
from tokenward.config import Mode, Settings


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with browser_app(tmp_path_factory.mktemp("mitm")) as running:
        yield running


@pytest.mark.threat("T-NET-01")
async def test_hsts_is_sent_when_the_issuer_is_https_and_only_then(api: RunningApp, tmp_path: Path) -> None:
    """Attack: strip TLS on a user's first plain-http visit. HSTS makes the browser refuse plain http."""
    response = await api.client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    async with running_app(make_settings(tmp_path, issuer="http://127.0.0.1:8000")) as plain:
        response = await plain.client.get("/healthz")
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


@pytest.mark.threat("T-NET-01")
async def test_the_refresh_cookie_is_secure_and_host_only(api: RunningApp) -> None:
    """Attack: make the browser send the refresh cookie over plain http, or to a sibling host."""
    async with https_client(api) as browser:
        email, _ = await api.new_user()
        response = await browser.post(
            "/v1/login",
            json={"email": email, "password": STRONG_PASSWORD},
            headers={"Origin": APP_ORIGIN, "X-Tokenward-CSRF": "1", "X-Tokenward-Transport": "cookie"},
        )
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert cookie.startswith("__Host-")
    assert "secure" in attributes
    assert not any(part.startswith("domain=") for part in attributes)


@pytest.mark.threat("T-NET-01")
def test_production_refuses_plain_http_issuer_links_and_origins(tmp_path: Path) -> None:
    """Attack: tokens naming an http issuer, reset links over http, an http origin trusted with cookies."""
    settings = Settings(
        mode=Mode.PRODUCTION,
        data_dir=tmp_path,
        issuer="http://auth.example.com",
        public_url="http://auth.example.com",
        cors_origins=["http://app.example.com"],
    )
    problems = settings.insecure_settings()
    assert "TOKENWARD_ISSUER must be an https:// URL in production (got http://auth.example.com)" in problems
    assert "TOKENWARD_PUBLIC_URL must be an https:// URL in production" in problems
    assert (
        "TOKENWARD_CORS_ORIGINS and TOKENWARD_RETURN_URLS need https:// (http://app.example.com)" in problems
    )


def _self_signed_ca(path: Path) -> Path:
    """A CA certificate the test server was never issued from: anything it trusts is a forgery."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the database's CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.postgres
@pytest.mark.threat("T-NET-01")
async def test_a_database_url_with_verify_full_never_falls_back_to_plain_text(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: a middlebox answers "no TLS here" so the client talks plain text. ``ssl=verify-full`` refuses.

    The test server speaks no TLS, which is exactly what a downgrading middlebox presents.
    """
    monkeypatch.setenv("PGSSLROOTCERT", str(_self_signed_ca(tmp_path / "ca.crt")))
    url = make_url(postgres_url).update_query_dict({"ssl": "verify-full"})
    database = Database(url)
    assert database.engine.dialect.create_connect_args(database.url)[1]["ssl"] == "verify-full"
    try:
        with pytest.raises(Exception, match="rejected SSL upgrade"):
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await database.engine.dispose()
    plain = Database(postgres_url)  # positive control: the same server answers without TLS
    try:
        async with plain.engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await plain.engine.dispose()


@pytest.mark.redis
@pytest.mark.threat("T-NET-01")
async def test_a_rediss_url_checks_certificate_and_host_and_never_falls_back(redis_url: str) -> None:
    """Attack: read or forge deny-list and rate-limit entries on the wire. ``rediss://`` verifies the server."""
    # the form docs/security/checklists.md prescribes (redis-py before 6 did not check the host by default)
    tls_url = (
        redis_url.replace("redis://", "rediss://", 1) + "?ssl_cert_reqs=required&ssl_check_hostname=true"
    )
    client = create_redis_client(tls_url)
    try:
        connection = client.connection_pool.make_connection()  # type: ignore[no-untyped-call]
        assert connection.cert_reqs == ssl.CERT_REQUIRED
        assert connection.check_hostname is True
        with pytest.raises(RedisError):
            await client.ping()  # the test server speaks no TLS
    finally:
        await client.aclose()
    plain = create_redis_client(redis_url)  # positive control
    try:
        assert await plain.ping() is True
    finally:
        await plain.aclose()

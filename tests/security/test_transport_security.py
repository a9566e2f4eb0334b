"""Man in the middle: what Tokenward does so that passwords and tokens never travel, or get fetched, in the clear.

TLS itself terminates in front of Tokenward (docs/operations.md); these tests show the parts Tokenward owns:
HSTS so a browser never falls back to http, production refusing settings that would send secrets in the clear,
and the resource-server library fetching keys only over https.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.harness import make_settings, running_app

from tokenward.bootstrap.startup import check_settings
from tokenward.config import Settings
from tokenward.errors import ConfigurationError
from tokenward_client import TokenVerifier
from tokenward_client.jwks import JWKSCache

TWO_YEARS = 63_072_000


@pytest.mark.threat("T-NET-01")
async def test_an_https_issuer_sends_hsts_on_every_answer(tmp_path: Path) -> None:
    """Attack: strip TLS from the user's next visit; HSTS makes the browser refuse plain http for two years."""
    async with running_app(make_settings(tmp_path, issuer="https://auth.example.test")) as api:
        for path in ("/healthz", "/.well-known/openid-configuration", "/v1/me", "/no-such-page"):
            hsts = (await api.client.get(path)).headers["strict-transport-security"]
            assert hsts == f"max-age={TWO_YEARS}; includeSubDomains", path


@pytest.mark.threat("T-NET-01")
async def test_a_development_http_issuer_sends_no_hsts(tmp_path: Path) -> None:
    """Positive control: HSTS follows the issuer's scheme (it would lock a browser out of a plain dev server)."""
    async with running_app(make_settings(tmp_path, issuer="http://127.0.0.1:8000")) as api:
        assert "strict-transport-security" not in (await api.client.get("/healthz")).headers


def _production(tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(
        tmp_path,
        mode="production",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        argon2_memory_kib=19456,
        argon2_time_cost=2,
        **overrides,
    )


@pytest.mark.threat("T-NET-01")
@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"issuer": "http://auth.example.test"}, "TOKENWARD_ISSUER must be an https:// URL in production"),
        (
            {"public_url": "http://auth.example.test"},
            "TOKENWARD_PUBLIC_URL must be an https:// URL in production",
        ),
        (
            {"smtp_host": "mail.example.test", "smtp_username": "tokenward", "smtp_starttls": False},
            "SMTP credentials would travel in plain text",
        ),
    ],
)
def test_production_refuses_settings_that_send_secrets_in_the_clear(
    tmp_path: Path, overrides: dict[str, object], problem: str
) -> None:
    assert _production(tmp_path).insecure_settings() == []  # the base is a valid production configuration
    with pytest.raises(ConfigurationError) as refused:
        check_settings(_production(tmp_path, **overrides))
    assert [p for p in refused.value.problems if p.startswith(problem)] != []


@pytest.mark.threat("T-NET-01")
@pytest.mark.parametrize(
    "url", ["http://auth.example.test/.well-known/jwks.json", "http://10.0.0.5/jwks.json"]
)
def test_a_resource_server_fetches_keys_only_over_https(url: str) -> None:
    """Attack: serve the resource server a JWKS of the attacker's keys over plain http."""
    with pytest.raises(ValueError, match="https"):
        JWKSCache(url)
    with pytest.raises(ValueError, match="https"):
        TokenVerifier(jwks_url=url, issuer="https://auth.example.test", audiences="api")

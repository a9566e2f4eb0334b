"""Settings: defaults, environment parsing, *_FILE secrets, and production's refusal of insecure settings."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tokenward.bootstrap import check_settings, load_kek
from tokenward.config import Mode, Settings
from tokenward.errors import ConfigurationError


def _kek() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def test_no_configuration_gives_a_working_development_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.mode is Mode.DEVELOPMENT
    assert (
        settings.effective_database_url
        == f"sqlite+aiosqlite:///{tmp_path / 'tokenward-data' / 'tokenward.db'}"
    )
    assert settings.access_token_ttl == 600
    assert settings.signing_algorithm == "ES256"
    check_settings(settings)  # development never refuses


def test_development_generates_a_private_kek_file_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = load_kek(settings)
    assert len(first) == 32
    assert (settings.dev_kek_path.stat().st_mode & 0o777) == 0o600
    assert load_kek(settings) == first


def test_environment_lists_and_file_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kek = _kek()
    (tmp_path / "kek").write_text(kek + "\n")
    monkeypatch.setenv("TOKENWARD_AUDIENCES", "orders, billing")
    monkeypatch.setenv("TOKENWARD_KEK_FILE", str(tmp_path / "kek"))
    settings = Settings()
    assert settings.audiences == ["orders", "billing"]
    assert settings.kek is not None
    assert settings.kek.get_secret_value() == kek
    assert kek not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("access_token_ttl", 3601),
        ("signing_algorithm", "HS256"),
        ("signing_algorithm", "none"),
        ("issuer", "ftp://x"),
        ("trusted_proxies", ["not-a-network"]),
        ("password_min_length", 4),
    ],
)
def test_invalid_settings_are_refused(name: str, value: object) -> None:
    # Any: the pydantic plugin types each Settings keyword; this test hands it values validation must refuse
    invalid: dict[str, Any] = {name: value}
    with pytest.raises(ValidationError):
        Settings(**invalid)


@pytest.mark.threat("T-KEY-03")
def test_production_refuses_every_insecure_setting_by_name(tmp_path: Path) -> None:
    """Attack surface: an operator deploys with the development defaults."""
    settings = Settings(
        mode="production", data_dir=tmp_path, argon2_memory_kib=1024, trusted_proxies=["0.0.0.0/0"]
    )
    with pytest.raises(ConfigurationError) as caught:
        check_settings(settings)
    problems = "\n".join(caught.value.problems)
    assert "TOKENWARD_KEK" in problems
    assert "TOKENWARD_ISSUER must be an https:// URL" in problems
    assert "TOKENWARD_DATABASE_URL is not set" in problems
    assert "OWASP minimum" in problems
    assert "TOKENWARD_TRUSTED_PROXIES trusts every address" in problems


@pytest.mark.threat("T-KEY-03")
def test_production_refuses_the_generated_development_kek(tmp_path: Path) -> None:
    development = Settings(data_dir=tmp_path)
    load_kek(development)
    dev_kek = development.dev_kek_path.read_text()
    settings = Settings(
        mode="production",
        data_dir=tmp_path,
        kek=dev_kek,
        issuer="https://auth.example.com",
        database_url="postgresql+asyncpg://db/tokenward",
    )
    with pytest.raises(ConfigurationError) as caught:
        check_settings(settings)
    assert caught.value.problems == [
        "TOKENWARD_KEK is the generated development key; create a new secret key"
    ]


def test_production_with_secure_settings_starts(tmp_path: Path) -> None:
    settings = Settings(
        mode="production",
        data_dir=tmp_path,
        kek=_kek(),
        issuer="https://auth.example.com",
        database_url="postgresql+asyncpg://db/tokenward",
    )
    check_settings(settings)


def test_kek_must_be_32_bytes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kek=base64.b64encode(b"short").decode())
    with pytest.raises(ConfigurationError, match="32 bytes"):
        load_kek(settings)


async def test_a_wrong_kek_stops_start_up_instead_of_sign_ins(tmp_path: Path) -> None:
    from tokenward.bootstrap import build_container

    first = Settings(data_dir=tmp_path, kek=_kek(), argon2_memory_kib=64, argon2_time_cost=1)
    container = await build_container(first)
    await container.close()
    second = first.model_copy(update={"kek": Settings(kek=_kek()).kek})
    with pytest.raises(ConfigurationError) as caught:
        await build_container(second)
    assert caught.value.problems == [
        "TOKENWARD_KEK cannot decrypt the stored signing keys: it is not the key they were encrypted under"
    ]


@pytest.mark.threat("T-KEY-03")
def test_production_refuses_smtp_credentials_without_tls(tmp_path: Path) -> None:
    """Attack surface: the mail server password sent in clear on the network."""
    # Any: the pydantic plugin types each Settings keyword, and these settings mix strings and a path
    secure: dict[str, Any] = {
        "mode": "production",
        "data_dir": tmp_path,
        "kek": _kek(),
        "issuer": "https://auth.example.com",
        "database_url": "postgresql+asyncpg://db/tokenward",
        "smtp_host": "mail.example.com",
        "smtp_username": "tokenward",
        "smtp_password": "mail-secret",
    }
    check_settings(Settings(**secure))  # STARTTLS is the default
    with pytest.raises(ConfigurationError) as caught:
        check_settings(Settings(**secure, smtp_starttls=False))
    assert len(caught.value.problems) == 1
    assert "SMTP" in caught.value.problems[0]
    assert "mail-secret" not in caught.value.problems[0]


def test_webauthn_defaults_follow_the_public_url() -> None:
    settings = Settings(issuer="https://auth.example.com", public_url="https://login.example.com/")
    assert settings.effective_webauthn_rp_id == "login.example.com"
    assert settings.effective_webauthn_origins == ("https://login.example.com",)


def test_an_rp_id_that_does_not_cover_the_origins_stops_start_up() -> None:
    with pytest.raises(ValidationError, match=r"is not example\.com or a subdomain"):
        Settings(webauthn_rp_id="example.com", webauthn_origins="https://example.org,https://example.com")


def test_production_refuses_http_passkey_origins_and_sms_without_a_gateway() -> None:
    settings = Settings(
        mode="production",
        issuer="https://auth.example.com",
        webauthn_rp_id="example.com",
        webauthn_origins="https://example.com,http://app.example.com",
        sms_enabled=True,
    )
    problems = settings.insecure_settings()
    assert any("http://app.example.com must be https" in p for p in problems)
    assert any("TOKENWARD_SMS_ENABLED needs TOKENWARD_SMS_WEBHOOK_URL" in p for p in problems)

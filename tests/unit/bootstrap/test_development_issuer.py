"""With no issuer set, a development server names the address it serves; a set issuer is never replaced."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tokenward.config import Mode, Settings


@pytest.fixture(autouse=True)
def _no_issuer_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENWARD_ISSUER", raising=False)


@pytest.mark.parametrize(
    ("host", "port", "issuer"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("localhost", 9000, "http://localhost:9000"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),  # noqa: S104  (every interface: the loopback one is named)
        ("::", 8000, "http://127.0.0.1:8000"),
        ("::1", 8124, "http://[::1]:8124"),
    ],
)
def test_development_without_an_issuer_uses_the_address_served(host: str, port: int, issuer: str) -> None:
    assert Settings().development_issuer(host, port) == issuer


def test_a_set_issuer_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENWARD_ISSUER", "http://127.0.0.1:8000")
    assert Settings().development_issuer("127.0.0.1", 8123) is None
    assert Settings(issuer="https://id.example.com").development_issuer("127.0.0.1", 8123) is None


def test_production_never_makes_up_an_issuer() -> None:
    assert Settings(mode=Mode.PRODUCTION).development_issuer("127.0.0.1", 8123) is None


def test_the_http_timeouts_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENWARD_HTTP_HEAD_TIMEOUT", "0")
    with pytest.raises(ValidationError, match="http_head_timeout"):
        Settings()

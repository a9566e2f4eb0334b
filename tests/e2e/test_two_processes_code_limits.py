"""Two server processes sharing PostgreSQL and Redis hold one limit on one-time-code sends, not one each."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import shared_stores, two_tokenward_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def two_servers(
    postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    with shared_stores(postgres_url, redis_url) as shared:
        settings = shared | {
            # one issuer, so a token from one process is accepted by the other (as behind a load balancer)
            "TOKENWARD_ISSUER": "https://auth.two-processes.test",
            # development mode: texts go to each process's outbox folder, which is all a limit test needs
            "TOKENWARD_SMS_ENABLED": "true",
            "TOKENWARD_OTP_SEND_LIMIT_ACCOUNT": "2/minute",
            "TOKENWARD_OTP_SEND_LIMIT_DESTINATION": "3/minute",
            "TOKENWARD_RATE_LIMIT_SIGNUP": "1000/minute",
            "TOKENWARD_RATE_LIMIT_LOGIN": "1000/minute",
            "TOKENWARD_RATE_LIMIT_MFA": "1000/minute",
        }
        with two_tokenward_servers(tmp_path_factory, settings) as servers:
            yield servers


def _access_token(server: str) -> str:
    email = f"pump-{secrets.token_hex(4)}@example.com"
    assert httpx.post(f"{server}/v1/signup", json={"email": email, "password": PASSWORD}).status_code == 202
    response = httpx.post(f"{server}/v1/login", json={"email": email, "password": PASSWORD})
    token: str = response.json()["access_token"]
    return token


def _send(server: str, token: str, phone: str) -> int:
    return httpx.post(
        f"{server}/v1/me/mfa/sms", json={"phone": phone}, headers={"Authorization": f"Bearer {token}"}
    ).status_code


@pytest.mark.threat("T-FAC-04")
def test_sends_per_account_are_limited_across_both_processes(two_servers: tuple[str, str]) -> None:
    """Attack: SMS pumping from one account, spread over every server behind the load balancer."""
    first, second = two_servers
    token = _access_token(first)
    phones = ["+1 650-253-0101", "+1 650-253-0102", "+1 650-253-0103"]
    statuses = [_send((first, second)[n % 2], token, phone) for n, phone in enumerate(phones)]
    assert statuses == [202, 202, 429]


@pytest.mark.threat("T-FAC-04")
def test_sends_per_number_are_limited_across_both_processes(two_servers: tuple[str, str]) -> None:
    """Attack: many accounts, on both servers, make the service text one (premium) number."""
    first, second = two_servers
    tokens = [_access_token(first) for _ in range(4)]
    statuses = [_send((first, second)[n % 2], token, "+1 650-253-0199") for n, token in enumerate(tokens)]
    assert statuses == [202, 202, 202, 429]

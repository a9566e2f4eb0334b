"""Two server processes sharing PostgreSQL and Redis enforce one limit, not one each."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.servers import shared_stores, two_tokenward_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def two_servers(
    postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    with shared_stores(postgres_url, redis_url) as shared:
        settings = shared | {
            "TOKENWARD_RATE_LIMIT_SIGNUP": "6/minute",
            "TOKENWARD_RATE_LIMIT_LOGIN": "1000/minute",
            "TOKENWARD_ACCOUNT_LIMIT_PER_ADDRESS": "4/minute;20/hour",
            "TOKENWARD_STUFFING_ACCOUNTS": "1000",
        }
        with two_tokenward_servers(tmp_path_factory, settings) as servers:
            yield servers


PASSWORD = "correct horse battery staple"


@pytest.mark.threat("T-ABU-06")
def test_a_route_limit_for_one_address_holds_across_both_processes(two_servers: tuple[str, str]) -> None:
    """Attack: spread requests over every server behind the load balancer to multiply the limit."""
    first, second = two_servers
    statuses = [
        httpx.post(
            f"{(first, second)[n % 2]}/v1/signup",
            json={"email": f"spread{n}@example.com", "password": PASSWORD},
        ).status_code
        for n in range(8)
    ]
    assert statuses == [202] * 6 + [429] * 2


@pytest.mark.threat("T-ABU-06")
def test_per_account_back_off_holds_across_both_processes(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    codes = [
        httpx.post(
            f"{(first, second)[n % 2]}/v1/login",
            json={"email": "spread0@example.com", "password": "wrong password"},
        ).json()["code"]
        for n in range(6)
    ]
    assert codes == ["invalid_credentials"] * 4 + ["too_many_attempts"] * 2
    # the right password from the same address waits too: the back-off is shared, not per process
    refused = httpx.post(f"{second}/v1/login", json={"email": "spread0@example.com", "password": PASSWORD})
    assert refused.json()["code"] == "too_many_attempts"

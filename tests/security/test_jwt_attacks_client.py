"""Every attack of ``jwt_attacks`` is refused by the resource-server client, sync and async, like the server.

The client fetches the JWKS over httpx (served here by ``httpx.MockTransport``) and must give exactly the
same ``InvalidToken.reason`` as the server's verifier: both use the same rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from tests.security.jwt_attacks import (
    AUDIENCE,
    ISSUER,
    NOW,
    AttackCase,
    TokenFactory,
    attack_cases,
    key_material,
)

from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward_client import AsyncTokenVerifier, InvalidToken, TokenVerifier

JWKS_URL = "https://id.tokenward.test/.well-known/jwks.json"

CASES = [
    pytest.param(alg, case, marks=pytest.mark.threat(case.threat), id=f"{alg}-{case.name}")
    for alg in SUPPORTED_ALGORITHMS
    for case in attack_cases(alg)
]


def jwks_transport(alg: str) -> httpx.MockTransport:
    body = key_material(alg).ring.jwks()

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        return httpx.Response(200, json=body, headers={"Cache-Control": "public, max-age=300"})

    return httpx.MockTransport(handler)


@pytest.fixture
def sync_verifier() -> Iterator[Callable[[str], TokenVerifier]]:
    clients: list[httpx.Client] = []

    def make(alg: str) -> TokenVerifier:
        client = httpx.Client(transport=jwks_transport(alg))
        clients.append(client)
        return TokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=client, clock=FrozenClock(NOW)
        )

    yield make
    for client in clients:
        client.close()


@pytest.fixture
async def async_verifier() -> AsyncIterator[Callable[[str], AsyncTokenVerifier]]:
    clients: list[httpx.AsyncClient] = []

    def make(alg: str) -> AsyncTokenVerifier:
        client = httpx.AsyncClient(transport=jwks_transport(alg))
        clients.append(client)
        return AsyncTokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=client, clock=FrozenClock(NOW)
        )

    yield make
    for client in clients:
        await client.aclose()


@pytest.mark.parametrize(("alg", "case"), CASES)
def test_sync_client_refuses_attack(
    sync_verifier: Callable[[str], TokenVerifier], alg: str, case: AttackCase
) -> None:
    """The attack named in the test id is refused by ``TokenVerifier`` with exactly its reason."""
    with pytest.raises(InvalidToken) as refused:
        sync_verifier(alg).verify(case.token)
    assert refused.value.reason == case.reason


@pytest.mark.parametrize(("alg", "case"), CASES)
async def test_async_client_refuses_attack(
    async_verifier: Callable[[str], AsyncTokenVerifier], alg: str, case: AttackCase
) -> None:
    """The attack named in the test id is refused by ``AsyncTokenVerifier`` with exactly its reason."""
    with pytest.raises(InvalidToken) as refused:
        await async_verifier(alg).verify(case.token)
    assert refused.value.reason == case.reason


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
async def test_positive_control_valid_token_passes_both_clients(
    sync_verifier: Callable[[str], TokenVerifier],
    async_verifier: Callable[[str], AsyncTokenVerifier],
    alg: str,
) -> None:
    """The same setup accepts the unmodified base token, so the refusals above are the attacks' doing."""
    token = TokenFactory(key_material(alg).signing_key, ISSUER, AUDIENCE, int(NOW.timestamp())).token()
    assert sync_verifier(alg).verify(token).subject == "user-0001"
    assert (await async_verifier(alg).verify(token)).subject == "user-0001"

"""The resource-server verifiers and discovery: same claims as the server, the issuer checked on discovery."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.security.jwt_attacks import AUDIENCE, ISSUER, NOW, TokenFactory, key_material
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS
from tokenward.domain.tokens import AccessTokenVerifier, VerificationPolicy
from tokenward_client import (
    AccessTokenClaims,
    AsyncTokenVerifier,
    InvalidToken,
    KeyUnavailable,
    TokenVerifier,
)

JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
T = int(NOW.timestamp())


def issuer_handler(discovery: dict[str, Any] | None = None) -> httpx.MockTransport:
    jwks = {"keys": [key_material(alg).public_jwk for alg in SUPPORTED_ALGORITHMS]}
    document = discovery or {"issuer": ISSUER, "jwks_uri": JWKS_URL}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=document)
        if str(request.url) == JWKS_URL:
            return httpx.Response(200, json=jwks)
        return httpx.Response(404)

    return httpx.MockTransport(handler)


def token(alg: str = "ES256", **claims: Any) -> str:
    factory = TokenFactory(key_material(alg).signing_key, ISSUER, AUDIENCE, T)
    return factory.token(claims=factory.claims(**claims))


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
def test_sync_verifier_gives_the_same_claims_as_the_server(alg: str) -> None:
    value = token(alg)
    server = AccessTokenVerifier(
        key_material(alg).ring.verification_key,
        VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})),
        FrozenClock(NOW),
    )
    with httpx.Client(transport=issuer_handler()) as http:
        client = TokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=[AUDIENCE], http_client=http, clock=FrozenClock(NOW)
        )
        assert client.verify(value) == server.verify(value)


@pytest.mark.parametrize("alg", SUPPORTED_ALGORITHMS)
async def test_async_verifier(alg: str) -> None:
    async with httpx.AsyncClient(transport=issuer_handler()) as http:
        client = AsyncTokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        claims = await client.verify(token(alg))
    assert isinstance(claims, AccessTokenClaims)
    assert claims.subject == "user-0001"
    assert claims.has_scopes("openid")


def test_expired_token_is_refused_with_the_server_reason() -> None:
    with httpx.Client(transport=issuer_handler()) as http:
        client = TokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        with pytest.raises(InvalidToken) as refused:
            client.verify(token(iat=T - 1200, nbf=T - 1200, exp=T - 600))
    assert refused.value.reason == "expired"


def test_unreachable_jwks_is_key_unavailable() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as http:
        client = TokenVerifier(jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http)
        with pytest.raises(KeyUnavailable):
            client.verify(token())


def test_malformed_tokens_never_reach_the_network() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        raise AssertionError("fetched the JWKS for a malformed token")

    with httpx.Client(transport=httpx.MockTransport(forbidden)) as http:
        client = TokenVerifier(jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http)
        for bad in ("", "abc", "a.b", "x" * 10_000):
            with pytest.raises(InvalidToken):
                client.verify(bad)


def test_discovery_finds_the_jwks() -> None:
    with httpx.Client(transport=issuer_handler()) as http:
        client = TokenVerifier.discover(
            issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        assert client.jwks.jwks_url == JWKS_URL
        assert client.verify(token()).subject == "user-0001"


async def test_async_discovery_finds_the_jwks() -> None:
    async with httpx.AsyncClient(transport=issuer_handler()) as http:
        client = await AsyncTokenVerifier.discover(
            issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        assert (await client.verify(token())).subject == "user-0001"


@pytest.mark.threat("T-JWT-10")
@pytest.mark.parametrize(
    "document",
    [
        {"issuer": "https://attacker.example", "jwks_uri": JWKS_URL},
        {"issuer": ISSUER + "/", "jwks_uri": JWKS_URL},
        {"jwks_uri": JWKS_URL},
        {"issuer": ISSUER},
        {"issuer": ISSUER, "jwks_uri": "http://attacker.example/jwks.json"},
    ],
)
def test_discovery_refuses_another_issuer_or_an_insecure_jwks(document: dict[str, Any]) -> None:
    """OpenID Connect Discovery §4.3: the document's issuer must be exactly the one we asked."""
    with httpx.Client(transport=issuer_handler(document)) as http, pytest.raises(ValueError):  # noqa: PT011
        TokenVerifier.discover(issuer=ISSUER, audiences=AUDIENCE, http_client=http)


def test_discovery_failure_is_key_unavailable() -> None:
    with (
        httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500))) as http,
        pytest.raises(KeyUnavailable),
    ):
        TokenVerifier.discover(issuer=ISSUER, audiences=AUDIENCE, http_client=http)


def test_verifier_policy_refuses_hmac() -> None:
    with pytest.raises(ValueError, match="subset"):
        TokenVerifier(jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, algorithms=["HS256"])

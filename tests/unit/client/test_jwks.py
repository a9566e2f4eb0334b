"""The resource server's JWKS cache: honours max-age, rate-limits refetches, ignores unusable keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.security.jwt_attacks import NOW, key_material
from tokenward.domain.clock import FrozenClock
from tokenward_client import AsyncJWKSCache, JWKSCache, KeyUnavailable
from tokenward_client.jwks import MAX_JWKS_BYTES, max_age_from

JWKS_URL = "https://id.example.com/.well-known/jwks.json"


class JWKSServer:
    """A fake issuer endpoint that counts requests; its answer can be changed between calls."""

    def __init__(self, *algs: str, cache_control: str | None = "public, max-age=300") -> None:
        self.keys: list[dict[str, Any]] = [key_material(alg).public_jwk for alg in algs or ("ES256",)]
        self.cache_control = cache_control
        self.status = 200
        self.body: bytes | None = None
        self.refuse_connections = False
        self.calls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.refuse_connections:
            raise httpx.ConnectError("refused", request=request)
        headers = {"Cache-Control": self.cache_control} if self.cache_control else {}
        if self.body is not None:
            return httpx.Response(self.status, content=self.body, headers=headers)
        return httpx.Response(self.status, json={"keys": self.keys}, headers=headers)


@pytest.fixture
def server() -> JWKSServer:
    return JWKSServer("ES256")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def cache(server: JWKSServer, clock: FrozenClock) -> Iterator[JWKSCache]:
    with httpx.Client(transport=httpx.MockTransport(server.handler)) as client:
        yield JWKSCache(JWKS_URL, http_client=client, clock=clock)


@pytest.fixture
async def async_cache(server: JWKSServer, clock: FrozenClock) -> AsyncIterator[AsyncJWKSCache]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as client:
        yield AsyncJWKSCache(JWKS_URL, http_client=client, clock=clock)


ES256_KID = key_material("ES256").stored.kid


def test_first_lookup_fetches_then_the_cache_answers(cache: JWKSCache, server: JWKSServer) -> None:
    key = cache.get_key(ES256_KID)
    assert key is not None
    assert key.alg == "ES256"
    for _ in range(20):
        assert cache.get_key(ES256_KID) is key
    assert server.calls == 1


def test_max_age_is_honoured(cache: JWKSCache, server: JWKSServer, clock: FrozenClock) -> None:
    cache.get_key(ES256_KID)
    clock.advance(299)
    cache.get_key(ES256_KID)
    assert server.calls == 1
    clock.advance(1)
    cache.get_key(ES256_KID)
    assert server.calls == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 300),
        ("public, max-age=600", 600),
        ("max-age=1", 60),
        ("max-age=999999999", 86400),
        ("no-store", 60),
        ("no-cache, max-age=600", 60),
        ("max-age=abc", 300),
        ("MAX-AGE=120", 120),
    ],
)
def test_max_age_is_bounded(header: str | None, seconds: float) -> None:
    assert max_age_from(header, default=300, lower=60, upper=86400) == seconds


@pytest.mark.threat("T-JWT-06")
def test_a_flood_of_unknown_kids_costs_one_fetch_per_interval(
    cache: JWKSCache, server: JWKSServer, clock: FrozenClock
) -> None:
    cache.get_key(ES256_KID)
    assert server.calls == 1
    # within the interval of the first fetch: no refetch at all
    for n in range(100):
        assert cache.get_key(f"random-kid-{n}") is None
    assert server.calls == 1
    # after the interval: the first unknown kid refetches, the other 99 do not
    clock.advance(60)
    for n in range(100):
        assert cache.get_key(f"other-kid-{n}") is None
    assert server.calls == 2
    clock.advance(59)
    cache.get_key("yet-another")
    assert server.calls == 2
    clock.advance(1)
    cache.get_key("yet-another")
    assert server.calls == 3


@pytest.mark.threat("T-JWT-06")
def test_an_unknown_kid_first_is_one_fetch(cache: JWKSCache, server: JWKSServer) -> None:
    for n in range(100):
        assert cache.get_key(f"random-kid-{n}") is None
    assert server.calls == 1


def test_a_newly_published_key_is_learnt_on_its_first_token(
    cache: JWKSCache, server: JWKSServer, clock: FrozenClock
) -> None:
    cache.get_key(ES256_KID)
    server.keys.append(key_material("Ed25519").public_jwk)
    new_kid = key_material("Ed25519").stored.kid
    clock.advance(60)
    key = cache.get_key(new_kid)
    assert key is not None
    assert key.alg == "Ed25519"
    assert server.calls == 2


@pytest.mark.threat("T-KEY-02")
def test_keys_with_private_members_are_ignored(cache: JWKSCache, server: JWKSServer) -> None:
    jwk = key_material("ES256").public_jwk
    server.keys = [{**jwk, "d": "AAAA"}]
    assert cache.get_key(ES256_KID) is None
    assert cache.kids == ()


@pytest.mark.threat("T-JWT-02", "T-JWT-03")
@pytest.mark.parametrize(
    "change",
    [
        {"alg": "HS256"},
        {"alg": "RS512"},
        {"alg": "none"},
        {"alg": None},
        {"alg": "Ed25519"},
        {"alg": "EdDSA"},
        {"use": "enc"},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"crv": "P-384"},
        {"x": "AAAA"},
    ],
)
def test_keys_unusable_for_their_algorithm_are_ignored(
    cache: JWKSCache, server: JWKSServer, change: dict[str, Any]
) -> None:
    jwk = {**key_material("ES256").public_jwk, **change}
    server.keys = [{k: v for k, v in jwk.items() if v is not None}, key_material("Ed25519").public_jwk]
    assert cache.get_key(ES256_KID) is None
    assert cache.kids == (key_material("Ed25519").stored.kid,)


def test_keys_outside_the_allowed_algorithms_are_ignored(server: JWKSServer, clock: FrozenClock) -> None:
    server.keys = [key_material("ES256").public_jwk, key_material("Ed25519").public_jwk]
    with httpx.Client(transport=httpx.MockTransport(server.handler)) as client:
        cache = JWKSCache(JWKS_URL, algorithms=["Ed25519"], http_client=client, clock=clock)
        assert cache.get_key(ES256_KID) is None
        assert cache.kids == (key_material("Ed25519").stored.kid,)


def test_a_duplicated_kid_is_ignored(cache: JWKSCache, server: JWKSServer) -> None:
    """Two keys under one kid are ambiguous: neither is used."""
    other = {**key_material("Ed25519").public_jwk, "kid": ES256_KID}
    server.keys = [key_material("ES256").public_jwk, other]
    assert cache.get_key(ES256_KID) is None


def test_legacy_eddsa_label_only_when_configured(server: JWKSServer, clock: FrozenClock) -> None:
    server.keys = [{**key_material("Ed25519").public_jwk, "alg": "EdDSA"}]
    with httpx.Client(transport=httpx.MockTransport(server.handler)) as client:
        strict = JWKSCache(JWKS_URL, http_client=client, clock=clock)
        legacy = JWKSCache(JWKS_URL, http_client=client, clock=clock, accept_legacy_eddsa=True)
        kid = key_material("Ed25519").stored.kid
        assert strict.get_key(kid) is None
        key = legacy.get_key(kid)
        assert key is not None
        assert key.alg == "Ed25519"


@pytest.mark.parametrize("failure", ["status_500", "not_json", "not_a_jwks", "too_large", "connection_error"])
def test_a_failed_refresh_keeps_the_cached_keys(
    cache: JWKSCache, server: JWKSServer, clock: FrozenClock, failure: str
) -> None:
    assert cache.get_key(ES256_KID) is not None
    if failure == "status_500":
        server.status = 500
    elif failure == "not_json":
        server.body = b"<html>"
    elif failure == "not_a_jwks":
        server.body = json.dumps({"keys": "nope"}).encode()
    elif failure == "too_large":
        server.body = b" " * (MAX_JWKS_BYTES + 1)
    else:
        server.refuse_connections = True
    clock.advance(301)
    assert cache.get_key(ES256_KID) is not None
    assert server.calls == 2  # the refresh was attempted, and failed
    # and the failure counts against the rate limit: no hammering of a struggling issuer
    calls = server.calls
    for n in range(10):
        cache.get_key(f"unknown-{n}")
    assert server.calls == calls


def test_never_fetched_keys_are_key_unavailable_not_a_token_error(
    cache: JWKSCache, server: JWKSServer, clock: FrozenClock
) -> None:
    server.status = 503
    with pytest.raises(KeyUnavailable):
        cache.get_key(ES256_KID)
    # still rate-limited while failing
    with pytest.raises(KeyUnavailable):
        cache.get_key(ES256_KID)
    assert server.calls == 1
    server.status = 200
    clock.advance(60)
    assert cache.get_key(ES256_KID) is not None


@pytest.mark.parametrize(
    "url", ["http://id.example.com/jwks.json", "ftp://id.example.com/jwks.json", "file:///etc/jwks.json"]
)
def test_keys_only_over_https(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        JWKSCache(url)


def test_plain_http_is_allowed_to_localhost() -> None:
    with JWKSCache("http://127.0.0.1:8000/.well-known/jwks.json") as cache:
        assert cache.jwks_url.startswith("http://127.0.0.1")


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="min_refresh_interval"):
        JWKSCache(JWKS_URL, min_refresh_interval=0)


# ------------------------------------------------------------------------------------------------- async


async def test_async_cache_honours_max_age(
    async_cache: AsyncJWKSCache, server: JWKSServer, clock: FrozenClock
) -> None:
    assert await async_cache.get_key(ES256_KID) is not None
    clock.advance(299)
    await async_cache.get_key(ES256_KID)
    assert server.calls == 1
    clock.advance(1)
    await async_cache.get_key(ES256_KID)
    assert server.calls == 2


@pytest.mark.threat("T-JWT-06")
async def test_async_flood_of_unknown_kids_costs_one_fetch_per_interval(
    async_cache: AsyncJWKSCache, server: JWKSServer, clock: FrozenClock
) -> None:
    results = await asyncio.gather(*(async_cache.get_key(f"random-{n}") for n in range(100)))
    assert results == [None] * 100
    assert server.calls == 1
    clock.advance(60)
    await asyncio.gather(*(async_cache.get_key(f"again-{n}") for n in range(100)))
    assert server.calls == 2


async def test_async_owned_client_is_closed() -> None:
    async with AsyncJWKSCache(JWKS_URL) as cache:
        assert cache.kids == ()

"""The verified-token cache of ``tokenward_client`` and the server: a repeat skips the signature check, and
nothing else it was trusted for.

The signature checks are counted by wrapping ``verification._signature_valid``, the one place every full verify
goes through, so "served from the cache" is observed, never timed.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.security.jwt_attacks import AUDIENCE, ISSUER, NOW, TokenFactory, key_material
from tokenward.domain.clock import FrozenClock
from tokenward.domain.tokens import AccessTokenVerifier, VerificationPolicy
from tokenward.errors import InvalidToken as Refused
from tokenward_client import AsyncTokenVerifier, InvalidToken, TokenVerifier, verification
from tokenward_client.cache import VerifiedTokenCache

JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
T = int(NOW.timestamp())
POLICY = VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE}))


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many signatures were checked (one element per check)."""
    checks: list[int] = []
    real = verification._signature_valid

    def counted(unverified: Any, key: Any) -> bool:
        checks.append(1)
        return real(unverified, key)

    monkeypatch.setattr(verification, "_signature_valid", counted)
    return checks


def factory(alg: str = "ES256") -> TokenFactory:
    return TokenFactory(key_material(alg).signing_key, ISSUER, AUDIENCE, T)


def server(clock: FrozenClock, cache_size: int = 16) -> AccessTokenVerifier:
    return AccessTokenVerifier(
        key_material("ES256").ring.verification_key, POLICY, clock, cache_size=cache_size
    )


def test_a_repeat_skips_the_signature_check_and_gives_the_same_claims(signature_checks: list[int]) -> None:
    verifier = server(FrozenClock(NOW))
    token = factory().token()
    first = verifier.verify(token)
    again = verifier.verify(token)
    assert again == first
    assert len(signature_checks) == 1


def test_expiry_is_checked_on_a_hit_and_the_entry_dropped(signature_checks: list[int]) -> None:
    clock = FrozenClock(NOW)
    verifier = server(clock)
    token = factory().token()
    verifier.verify(token)
    clock.advance(600 + POLICY.leeway_seconds)  # exactly at exp + leeway: expired, as in a full verify
    with pytest.raises(Refused) as refused:
        verifier.verify(token)
    assert refused.value.reason == "expired"
    assert len(signature_checks) == 1  # refused from the cache, without a second signature check
    assert len(verifier.cache) == 0


def test_a_clock_set_back_is_refused_on_a_hit_as_in_a_full_verify() -> None:
    clock = FrozenClock(NOW)
    verifier = server(clock)
    with_nbf, without_nbf = factory().token(), factory().token(claims=_without("nbf"))
    verifier.verify(with_nbf)
    verifier.verify(without_nbf)
    clock.advance(-(POLICY.leeway_seconds + 1))
    reasons = []
    for token in (with_nbf, without_nbf):
        with pytest.raises(Refused) as refused:
            verifier.verify(token)
        reasons.append(refused.value.reason)
    assert reasons == ["not_yet_valid", "issued_in_future"]
    uncached = server(clock, cache_size=0)
    for token, reason in zip((with_nbf, without_nbf), reasons, strict=True):
        with pytest.raises(Refused) as full:
            uncached.verify(token)
        assert full.value.reason == reason


def _without(name: str) -> dict[str, Any]:
    claims = factory().claims()
    del claims[name]
    return claims


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(signature_checks: list[int]) -> None:
    verifier = server(FrozenClock(NOW), cache_size=3)
    tokens = [factory().token() for _ in range(4)]
    for token in tokens[:3]:
        verifier.verify(token)
    verifier.verify(tokens[0])  # now the most recently used: tokens[1] is the oldest
    verifier.verify(tokens[3])
    assert len(verifier.cache) == 3
    checks = len(signature_checks)
    verifier.verify(tokens[0])
    verifier.verify(tokens[3])
    assert len(signature_checks) == checks  # both still cached
    verifier.verify(tokens[1])
    assert len(signature_checks) == checks + 1  # evicted, verified in full again


def test_a_flood_of_invalid_tokens_never_evicts_a_valid_entry(signature_checks: list[int]) -> None:
    """Attack: an attacker sends thousands of distinct forged tokens to push the valid ones out of the cache
    (and so back to the full signature cost). Refusals are never cached: the valid entry stays."""
    verifier = server(FrozenClock(NOW), cache_size=2)
    maker = factory()
    valid = maker.token()
    verifier.verify(valid)
    for number in range(500):
        forged = maker.with_signature(number.to_bytes(64, "big"))
        with pytest.raises(Refused) as refused:
            verifier.verify(forged)
        assert refused.value.reason == "bad_signature"
    assert len(verifier.cache) == 1
    checks = len(signature_checks)
    verifier.verify(valid)
    assert len(signature_checks) == checks


def test_a_token_differing_in_any_byte_is_not_served_from_the_cache() -> None:
    verifier = server(FrozenClock(NOW))
    token = factory().token()
    verifier.verify(token)
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(Refused) as refused:
        verifier.verify(f"{header}.{payload}.{flipped}")
    assert refused.value.reason in {"bad_signature", "malformed"}


def test_size_zero_turns_the_cache_off(signature_checks: list[int]) -> None:
    verifier = server(FrozenClock(NOW), cache_size=0)
    token = factory().token()
    verifier.verify(token)
    verifier.verify(token)
    assert len(signature_checks) == 2
    assert len(verifier.cache) == 0
    with pytest.raises(ValueError, match="max_entries"):
        VerifiedTokenCache(-1)


# ------------------------------------------------------------------------- resource servers (tokenward_client)


class Issuer:
    """An issuer whose JWKS can change between fetches (a key revoked, a key added)."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": [key_material("ES256").public_jwk]}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(lambda _request: httpx.Response(200, content=json.dumps(self.jwks)))


def test_client_repeat_is_served_from_the_cache(signature_checks: list[int]) -> None:
    issuer = Issuer()
    with httpx.Client(transport=issuer.transport()) as http:
        client = TokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        token = factory().token()
        assert client.verify(token) == client.verify(token)
    assert len(signature_checks) == 1


def test_client_a_key_gone_from_the_jwks_stops_its_cached_tokens_at_the_next_fetch() -> None:
    """Attack: a token signed with a key the issuer has since revoked is presented again to a resource server
    that cached it. The refetched JWKS no longer has the key: the cache is emptied and the token refused."""
    issuer = Issuer()
    with httpx.Client(transport=issuer.transport()) as http:
        client = TokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        token = factory().token()
        client.verify(token)
        issuer.jwks = {"keys": [key_material("Ed25519").public_jwk]}
        client.jwks.refresh()
        with pytest.raises(InvalidToken) as refused:
            client.verify(token)
    assert refused.value.reason == "unknown_kid"
    assert len(client.cache) == 0


async def test_async_client_repeat_is_served_from_the_cache_until_the_key_goes(
    signature_checks: list[int],
) -> None:
    issuer = Issuer()
    async with httpx.AsyncClient(transport=issuer.transport()) as http:
        client = AsyncTokenVerifier(
            jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=http, clock=FrozenClock(NOW)
        )
        token = factory().token()
        assert await client.verify(token) == await client.verify(token)
        assert len(signature_checks) == 1
        issuer.jwks = {"keys": []}
        await client.jwks.refresh()
        with pytest.raises(InvalidToken) as refused:
            await client.verify(token)
    assert refused.value.reason == "unknown_kid"

"""Access-token verifiers for resource servers: the issuer's own strict rules plus a cached JWKS.

The rules are not re-implemented here: ``parse_unverified`` and ``verify_with_key`` are the very functions the
Tokenward server uses, so a token refused by one is refused by the other for the same ``InvalidToken.reason``.
Tokens that passed are remembered (``cache_size`` of them, ``tokenward_client.cache``): a repeat skips the
signature check, with its times re-checked and only while the JWKS still holds the very key that verified it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Self

import httpx

from tokenward_client.cache import DEFAULT_MAX_ENTRIES, VerifiedTokenCache
from tokenward_client.clock import Clock, SystemClock
from tokenward_client.errors import InvalidToken, KeyUnavailable
from tokenward_client.jwks import DEFAULT_TIMEOUT, AsyncJWKSCache, JWKSCache, check_key_url
from tokenward_client.keys import SUPPORTED_ALGORITHMS
from tokenward_client.verification import (
    AccessTokenClaims,
    VerificationPolicy,
    parse_unverified,
    verify_with_key,
)

DISCOVERY_PATH = "/.well-known/openid-configuration"


def _policy(
    issuer: str, audiences: str | Iterable[str], algorithms: Iterable[str], leeway_seconds: int, legacy: bool
) -> VerificationPolicy:
    return VerificationPolicy(
        issuer=issuer,
        audiences=frozenset([audiences] if isinstance(audiences, str) else audiences),
        algorithms=frozenset(algorithms),
        leeway_seconds=leeway_seconds,
        accept_legacy_eddsa=legacy,
    )


def discovery_url(issuer: str) -> str:
    return check_key_url(issuer.rstrip("/") + DISCOVERY_PATH)


def jwks_uri_from_discovery(issuer: str, response: httpx.Response) -> str:
    """``jwks_uri`` of a discovery document whose ``issuer`` is exactly ours (OpenID Connect Discovery §4.3)."""
    if response.status_code != 200:
        raise KeyUnavailable("the issuer's discovery document could not be fetched")
    try:
        document: Any = json.loads(response.content)
    except ValueError:
        raise KeyUnavailable("the issuer's discovery document is not JSON") from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ValueError("the discovery document names another issuer")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise ValueError("the discovery document has no jwks_uri")
    return check_key_url(jwks_uri)


class TokenVerifier:
    """Verifies access tokens synchronously (``httpx.Client`` for the JWKS)."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audiences: str | Iterable[str],
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        leeway_seconds: int = 30,
        accept_legacy_eddsa: bool = False,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        min_refresh_interval: float = 60.0,
        cache_size: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.policy = _policy(issuer, audiences, algorithms, leeway_seconds, accept_legacy_eddsa)
        self._clock = clock or SystemClock()
        self.cache = VerifiedTokenCache(cache_size, leeway_seconds=leeway_seconds)
        self.jwks = JWKSCache(
            jwks_url,
            algorithms=self.policy.algorithms,
            accept_legacy_eddsa=accept_legacy_eddsa,
            http_client=http_client,
            clock=self._clock,
            min_refresh_interval=min_refresh_interval,
        )

    @classmethod
    def discover(
        cls,
        *,
        issuer: str,
        audiences: str | Iterable[str],
        http_client: httpx.Client | None = None,
        **options: Any,
    ) -> Self:
        """Find ``jwks_uri`` through the issuer's discovery document, then build the verifier."""
        try:
            if http_client is None:
                with httpx.Client(timeout=DEFAULT_TIMEOUT) as client:
                    response = client.get(discovery_url(issuer))
            else:
                response = http_client.get(discovery_url(issuer))
        except httpx.HTTPError as exc:
            raise KeyUnavailable("the issuer's discovery document could not be fetched") from exc
        jwks_url = jwks_uri_from_discovery(issuer, response)
        return cls(jwks_url=jwks_url, issuer=issuer, audiences=audiences, http_client=http_client, **options)

    def verify(self, token: str) -> AccessTokenClaims:
        """The token's claims, or ``InvalidToken(reason)``; ``KeyUnavailable`` if no JWKS was ever fetched."""
        now = self._clock.now()
        cached = self.cache.get(token, self.jwks.get_key, now)
        if cached is not None:
            return cached
        unverified = parse_unverified(token, self.policy)
        key = self.jwks.get_key(unverified.kid)
        if key is None:
            raise InvalidToken("unknown_kid")
        claims = verify_with_key(unverified, key, self.policy, now)
        self.cache.put(token, claims, unverified.kid, key)
        return claims

    def close(self) -> None:
        self.jwks.close()


class AsyncTokenVerifier:
    """Verifies access tokens in async code (``httpx.AsyncClient`` for the JWKS)."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audiences: str | Iterable[str],
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        leeway_seconds: int = 30,
        accept_legacy_eddsa: bool = False,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        min_refresh_interval: float = 60.0,
        cache_size: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.policy = _policy(issuer, audiences, algorithms, leeway_seconds, accept_legacy_eddsa)
        self._clock = clock or SystemClock()
        self.cache = VerifiedTokenCache(cache_size, leeway_seconds=leeway_seconds)
        self.jwks = AsyncJWKSCache(
            jwks_url,
            algorithms=self.policy.algorithms,
            accept_legacy_eddsa=accept_legacy_eddsa,
            http_client=http_client,
            clock=self._clock,
            min_refresh_interval=min_refresh_interval,
        )

    @classmethod
    async def discover(
        cls,
        *,
        issuer: str,
        audiences: str | Iterable[str],
        http_client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> Self:
        """Find ``jwks_uri`` through the issuer's discovery document, then build the verifier."""
        try:
            if http_client is None:
                async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT) as client:
                    response = await client.get(discovery_url(issuer))
            else:
                response = await http_client.get(discovery_url(issuer))
        except httpx.HTTPError as exc:
            raise KeyUnavailable("the issuer's discovery document could not be fetched") from exc
        jwks_url = jwks_uri_from_discovery(issuer, response)
        return cls(jwks_url=jwks_url, issuer=issuer, audiences=audiences, http_client=http_client, **options)

    async def verify(self, token: str) -> AccessTokenClaims:
        """The token's claims, or ``InvalidToken(reason)``; ``KeyUnavailable`` if no JWKS was ever fetched."""
        now = self._clock.now()
        cached_kid = self.cache.kid_of(token)
        if cached_kid is not None:
            cached = self.cache.check(token, await self.jwks.get_key(cached_kid), now)
            if cached is not None:
                return cached
        unverified = parse_unverified(token, self.policy)
        key = await self.jwks.get_key(unverified.kid)
        if key is None:
            raise InvalidToken("unknown_kid")
        claims = verify_with_key(unverified, key, self.policy, now)
        self.cache.put(token, claims, unverified.kid, key)
        return claims

    async def aclose(self) -> None:
        await self.jwks.aclose()

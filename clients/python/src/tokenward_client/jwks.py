"""A cached view of the issuer's JWKS, for resource servers that verify access tokens offline.

Keys are refetched when the cached copy is older than the server's ``Cache-Control: max-age`` (bounded to
``[min_max_age, max_max_age]``, ``default_max_age`` when absent) and when a token names a ``kid`` the cache does
not know, since that is how a resource server learns a freshly published key. Because anyone can send a token
with a random ``kid``, every fetch after the first is rate-limited to one per ``min_refresh_interval``: a flood
of made-up kids costs the issuer at most one request per interval (threat T-JWT-06).

If a refresh fails, the keys already fetched stay in use (availability over freshness) and the next attempt
waits for the interval. If no key has ever been fetched, ``KeyUnavailable`` tells the caller the problem is on
the issuer's side, not in the token.

Keys go through the same ``verification_key_from_jwk`` as the issuer's own: a JWK whose ``alg`` is missing or
not allowed, whose key type does not fit it, or that carries private members is ignored, and so is every key
sharing its ``kid`` with another.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import httpx

from tokenward_client.clock import Clock, SystemClock
from tokenward_client.errors import KeyUnavailable
from tokenward_client.keys import SUPPORTED_ALGORITHMS, VerificationKey, verification_key_from_jwk

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 300.0
MIN_MAX_AGE = 60.0
MAX_MAX_AGE = 86400.0
MIN_REFRESH_INTERVAL = 60.0
#: a JWKS holds a handful of keys; refuse to buffer more than this from a misbehaving server
MAX_JWKS_BYTES = 256 * 1024
DEFAULT_TIMEOUT = 5.0
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_key_url(url: str) -> str:
    """Keys must come over TLS; plain HTTP is allowed only to the loopback interface (development)."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.host in _LOOPBACK_HOSTS):
        return url
    raise ValueError("key and discovery URLs must use https (plain http only for localhost)")


def max_age_from(cache_control: str | None, *, default: float, lower: float, upper: float) -> float:
    """Seconds to keep a JWKS response, from its ``Cache-Control`` header, clamped to ``[lower, upper]``."""
    seconds = default
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        name = name.strip().lower()
        if name in {"no-store", "no-cache"}:
            seconds = lower
            break
        if name == "max-age" and value.strip().isdigit():
            seconds = float(value.strip())
    return min(max(seconds, lower), upper)


def parse_jwks(
    body: bytes, *, algorithms: Iterable[str], accept_legacy_eddsa: bool
) -> dict[str, VerificationKey]:
    """The usable keys of a JWKS document, by kid; ``ValueError`` if the document itself is not a JWKS."""
    document = json.loads(body)
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    allowed = frozenset(algorithms)
    entries: list[Mapping[str, Any]] = [entry for entry in document["keys"] if isinstance(entry, Mapping)]
    # a kid that names two keys is ambiguous: refuse it rather than guess which one is meant
    counts = Counter(entry.get("kid") for entry in entries)
    keys: dict[str, VerificationKey] = {}
    for entry in entries:
        if counts[entry.get("kid")] != 1:
            continue
        try:
            key = verification_key_from_jwk(
                entry, algorithms=allowed, accept_legacy_eddsa=accept_legacy_eddsa
            )
        except ValueError as exc:
            logger.warning("ignoring unusable JWKS key: %s", exc)
            continue
        keys[key.kid] = key
    return keys


class _KeyCacheState:
    """The timing rules, shared by the sync and async caches so both behave identically."""

    def __init__(
        self,
        *,
        algorithms: Iterable[str],
        accept_legacy_eddsa: bool,
        clock: Clock,
        min_refresh_interval: float,
        default_max_age: float,
        min_max_age: float,
        max_max_age: float,
    ) -> None:
        if min_refresh_interval <= 0 or not 0 < min_max_age <= default_max_age <= max_max_age:
            raise ValueError(
                "need 0 < min_refresh_interval and 0 < min_max_age <= default_max_age <= max_max_age"
            )
        self.algorithms = frozenset(algorithms)
        self.accept_legacy_eddsa = accept_legacy_eddsa
        self.clock = clock
        self.min_refresh_interval = timedelta(seconds=min_refresh_interval)
        self.default_max_age = default_max_age
        self.min_max_age = min_max_age
        self.max_max_age = max_max_age
        self.keys: dict[str, VerificationKey] = {}
        self.expires_at: datetime | None = None
        self.last_attempt: datetime | None = None
        self.ever_succeeded = False

    def needs_fetch(self, kid: str | None) -> bool:
        now = self.clock.now()
        if self.last_attempt is None:
            return True
        fresh = self.expires_at is not None and now < self.expires_at
        if fresh and (kid is None or kid in self.keys):
            return False
        return now - self.last_attempt >= self.min_refresh_interval

    def start_attempt(self) -> None:
        self.last_attempt = self.clock.now()

    def store(self, body: bytes, cache_control: str | None) -> None:
        keys = parse_jwks(body, algorithms=self.algorithms, accept_legacy_eddsa=self.accept_legacy_eddsa)
        max_age = max_age_from(
            cache_control, default=self.default_max_age, lower=self.min_max_age, upper=self.max_max_age
        )
        self.keys = keys
        self.expires_at = self.clock.now() + timedelta(seconds=max_age)
        self.ever_succeeded = True

    def get(self, kid: str) -> VerificationKey | None:
        key = self.keys.get(kid)
        if key is None and not self.ever_succeeded:
            raise KeyUnavailable("the issuer's JWKS could not be fetched")
        return key


def _read_bounded(chunks: Iterable[bytes]) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body.extend(chunk)
        if len(body) > MAX_JWKS_BYTES:
            raise ValueError("JWKS response too large")
    return bytes(body)


class _CacheBase:
    def __init__(
        self,
        jwks_url: str,
        *,
        algorithms: Iterable[str],
        accept_legacy_eddsa: bool,
        clock: Clock | None,
        min_refresh_interval: float,
        default_max_age: float,
        min_max_age: float,
        max_max_age: float,
        timeout: float,
    ) -> None:
        self.jwks_url = check_key_url(jwks_url)
        self._timeout = timeout
        self._state = _KeyCacheState(
            algorithms=algorithms,
            accept_legacy_eddsa=accept_legacy_eddsa,
            clock=clock or SystemClock(),
            min_refresh_interval=min_refresh_interval,
            default_max_age=default_max_age,
            min_max_age=min_max_age,
            max_max_age=max_max_age,
        )

    @property
    def kids(self) -> tuple[str, ...]:
        """The kids currently cached."""
        return tuple(self._state.keys)

    def _stored(self, body: bytes, cache_control: str | None) -> None:
        try:
            self._state.store(body, cache_control)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            logger.warning("JWKS from %s unusable, keeping the cached keys: %s", self.jwks_url, exc)

    def _failed(self, exc: Exception) -> None:
        logger.warning("JWKS fetch from %s failed, keeping the cached keys: %s", self.jwks_url, exc)


class JWKSCache(_CacheBase):
    """Synchronous JWKS cache (``httpx.Client``)."""

    def __init__(
        self,
        jwks_url: str,
        *,
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        accept_legacy_eddsa: bool = False,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        min_refresh_interval: float = MIN_REFRESH_INTERVAL,
        default_max_age: float = DEFAULT_MAX_AGE,
        min_max_age: float = MIN_MAX_AGE,
        max_max_age: float = MAX_MAX_AGE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            jwks_url,
            algorithms=algorithms,
            accept_legacy_eddsa=accept_legacy_eddsa,
            clock=clock,
            min_refresh_interval=min_refresh_interval,
            default_max_age=default_max_age,
            min_max_age=min_max_age,
            max_max_age=max_max_age,
            timeout=timeout,
        )
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(timeout=timeout, follow_redirects=False)

    def get_key(self, kid: str) -> VerificationKey | None:
        """The key named ``kid``, fetching the JWKS when stale or when ``kid`` is new (rate-limited)."""
        if self._state.needs_fetch(kid):
            self.refresh()
        return self._state.get(kid)

    def refresh(self) -> None:
        """Fetch the JWKS now (counts against the rate limit); failures keep the cached keys."""
        self._state.start_attempt()
        try:
            with self._client.stream(
                "GET", self.jwks_url, headers={"Accept": "application/json"}, timeout=self._timeout
            ) as response:
                response.raise_for_status()
                body = _read_bounded(response.iter_bytes())
                cache_control = response.headers.get("cache-control")
        except (httpx.HTTPError, ValueError) as exc:
            self._failed(exc)
            return
        self._stored(body, cache_control)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncJWKSCache(_CacheBase):
    """Asynchronous JWKS cache (``httpx.AsyncClient``); concurrent misses share one fetch."""

    def __init__(
        self,
        jwks_url: str,
        *,
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        accept_legacy_eddsa: bool = False,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        min_refresh_interval: float = MIN_REFRESH_INTERVAL,
        default_max_age: float = DEFAULT_MAX_AGE,
        min_max_age: float = MIN_MAX_AGE,
        max_max_age: float = MAX_MAX_AGE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            jwks_url,
            algorithms=algorithms,
            accept_legacy_eddsa=accept_legacy_eddsa,
            clock=clock,
            min_refresh_interval=min_refresh_interval,
            default_max_age=default_max_age,
            min_max_age=min_max_age,
            max_max_age=max_max_age,
            timeout=timeout,
        )
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._lock = asyncio.Lock()

    async def get_key(self, kid: str) -> VerificationKey | None:
        """The key named ``kid``, fetching the JWKS when stale or when ``kid`` is new (rate-limited)."""
        if self._state.needs_fetch(kid):
            async with self._lock:
                # another task may have fetched while this one waited for the lock
                if self._state.needs_fetch(kid):
                    await self.refresh()
        return self._state.get(kid)

    async def refresh(self) -> None:
        """Fetch the JWKS now (counts against the rate limit); failures keep the cached keys."""
        self._state.start_attempt()
        try:
            async with self._client.stream(
                "GET", self.jwks_url, headers={"Accept": "application/json"}, timeout=self._timeout
            ) as response:
                response.raise_for_status()
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_JWKS_BYTES:
                        raise ValueError("JWKS response too large")
                cache_control = response.headers.get("cache-control")
        except (httpx.HTTPError, ValueError) as exc:
            self._failed(exc)
            return
        self._stored(bytes(body), cache_control)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

"""Strict mode for resource servers: verify locally, then ask the issuer whether the token is still active.

Offline verification (``AsyncTokenVerifier``) cannot know that a token was revoked: a stolen access token
stays usable until it expires (10 minutes by default). ``IntrospectingVerifier`` closes that gap. After the
local checks pass it asks ``POST /oauth/introspect`` (RFC 7662) as a registered API client and refuses the
token with ``InvalidToken("revoked")`` unless the issuer says it is active.

The trade-off:

- revocation takes effect at the resource server within ``cache_seconds`` (default 5 s) instead of at the
  token's expiry;
- but every distinct token costs one HTTP round trip to the issuer per ``cache_seconds``, the issuer's
  introspection capacity bounds the resource server's, and when the issuer cannot be reached the token is
  refused (``KeyUnavailable``, a 503 from the FastAPI dependency): strict mode fails closed.

Use it where acting on a revoked token is worse than the extra latency (payments, account changes); use plain
``AsyncTokenVerifier`` elsewhere. Answers are cached by SHA-256 of the token, never the token itself, for at
most ``cache_seconds`` and never past the token's own expiry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tokenward_client.errors import InvalidToken, KeyUnavailable
from tokenward_client.jwks import DEFAULT_TIMEOUT, check_key_url
from tokenward_client.keys import SUPPORTED_ALGORITHMS
from tokenward_client.verification import AccessTokenClaims
from tokenward_client.verifier import AsyncTokenVerifier

DEFAULT_CACHE_SECONDS = 5.0
MAX_CACHE_SECONDS = 60.0
MAX_CACHE_ENTRIES = 10_000
INTROSPECTION_PATH = "/oauth/introspect"


class IntrospectingVerifier(AsyncTokenVerifier):
    """``AsyncTokenVerifier`` plus an introspection call (briefly cached); a drop-in for ``BearerTokenAuth``."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audiences: str | Iterable[str],
        client_id: str,
        client_secret: str,
        introspection_url: str | None = None,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        http_client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            jwks_url=jwks_url,
            issuer=issuer,
            audiences=audiences,
            algorithms=algorithms,
            http_client=http_client,
            **options,
        )
        if not 0 <= cache_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(f"cache_seconds must be between 0 and {MAX_CACHE_SECONDS}")
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required (tokenward clients create)")
        self._introspection_url = check_key_url(introspection_url or issuer.rstrip("/") + INTROSPECTION_PATH)
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._cache_for = timedelta(seconds=cache_seconds)
        self._http = http_client
        self._owns_http = http_client is None
        #: sha256(token) -> (cached until, active)
        self._answers: dict[str, tuple[datetime, bool]] = {}

    def __repr__(self) -> str:
        return f"IntrospectingVerifier(introspection_url={self._introspection_url!r})"

    async def verify(self, token: str) -> AccessTokenClaims:
        """Local verification first (cheap refusals never reach the issuer), then the issuer's answer."""
        claims = await super().verify(token)
        if not await self._active(token, claims):
            raise InvalidToken("revoked")
        return claims

    async def _active(self, token: str, claims: AccessTokenClaims) -> bool:
        now = self._clock.now()
        digest = hashlib.sha256(token.encode("ascii")).hexdigest()
        cached = self._answers.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        active = await self._ask(token)
        self._remember(digest, min(now + self._cache_for, claims.expires_at), active, now)
        return active

    async def _ask(self, token: str) -> bool:
        client = self._client()
        try:
            response = await client.post(
                self._introspection_url,
                data={"token": token, "token_type_hint": "access_token"},
                auth=self._auth,
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise KeyUnavailable("the issuer's introspection endpoint could not be reached") from exc
        if response.status_code != 200:
            # 401 means our client credentials are wrong: an operator problem, never the token's fault
            raise KeyUnavailable(f"the issuer's introspection endpoint answered {response.status_code}")
        try:
            answer: Any = json.loads(response.content)
        except ValueError:
            raise KeyUnavailable("the issuer's introspection answer is not JSON") from None
        return isinstance(answer, dict) and answer.get("active") is True

    def _remember(self, digest: str, until: datetime, active: bool, now: datetime) -> None:
        if len(self._answers) >= MAX_CACHE_ENTRIES:
            self._answers = {key: value for key, value in self._answers.items() if value[0] > now}
            if len(self._answers) >= MAX_CACHE_ENTRIES:
                self._answers.clear()
        if until > now:
            self._answers[digest] = (until, active)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        return self._http

    async def aclose(self) -> None:
        await super().aclose()
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

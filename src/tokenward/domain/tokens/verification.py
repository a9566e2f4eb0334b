"""The server's access-token verifier: the one strict verifier of ``tokenward_client``, against its own key ring.

Every rule (shape, header, signature, claims) lives in ``tokenward_client.verification``, which resource servers
run too, so both refuse exactly the same tokens for exactly the same reason. This module only looks the key up
in the server's ring and turns the library's refusal into the service's ``InvalidToken``, which the API answers
as an RFC 9457 problem (or the RFC 6750/6749 error shape). Tokens that passed are remembered in a
``VerifiedTokenCache`` (``tokenward_client.cache``: times re-checked on every hit, emptied when the key ring is
reloaded), so a token presented again skips the signature check.
"""

from __future__ import annotations

from collections.abc import Callable

from tokenward.domain.clock import Clock
from tokenward.errors import InvalidToken
from tokenward_client.cache import DEFAULT_MAX_ENTRIES, VerifiedTokenCache
from tokenward_client.errors import InvalidToken as RefusedByVerifier
from tokenward_client.keys import VerificationKey
from tokenward_client.verification import (
    AccessTokenClaims,
    VerificationPolicy,
    parse_unverified,
    verify_with_key,
)


class AccessTokenVerifier:
    """Verifies access tokens against the server's own key ring."""

    def __init__(
        self,
        key_lookup: Callable[[str], VerificationKey | None],
        policy: VerificationPolicy,
        clock: Clock,
        *,
        cache_size: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        """``key_lookup(kid)``: the current ring's key (a reloaded ring returns new key objects, which is what
        empties the cache); ``cache_size``: verified tokens remembered, 0 for none."""
        self._key_lookup = key_lookup
        self._policy = policy
        self._clock = clock
        self.cache = VerifiedTokenCache(cache_size, leeway_seconds=policy.leeway_seconds)

    @property
    def policy(self) -> VerificationPolicy:
        return self._policy

    def verify(self, token: str) -> AccessTokenClaims:
        """The token's claims, or ``InvalidToken`` carrying the verifier's reason."""
        now = self._clock.now()
        try:
            cached = self.cache.get(token, self._key_lookup, now)
            if cached is not None:
                return cached
            unverified = parse_unverified(token, self._policy)
            key = self._key_lookup(unverified.kid)
            if key is None:
                raise RefusedByVerifier("unknown_kid")
            claims = verify_with_key(unverified, key, self._policy, now)
        except RefusedByVerifier as refused:
            raise InvalidToken(refused.reason) from None
        self.cache.put(token, claims, unverified.kid, key)
        return claims

"""A bounded cache of verified access tokens: a repeat verify of the same token skips the signature check.

A client presents the same access token on every request for its whole life (minutes), so most verifications
repeat one that already passed. What may change between two presentations, and is therefore checked on every
hit, is exactly what a signature check cannot tell anyway:

- time: ``exp``, ``nbf`` and ``iat`` are re-checked against the current time with the policy's leeway, in
  the order and with the reasons of a full verify (``expired``, ``not_yet_valid``, ``issued_in_future``; the
  last two only if the clock went back); an expired entry is dropped;
- the key: an entry remembers the very key object that verified it, and a hit requires the verifier's key
  source to still return that same object for the token's ``kid``. Reloading the key ring (server) or
  refetching the JWKS (resource server) builds new key objects, so the first verify after a reload finds a
  different key, empties the whole cache, and verifies in full: a revoked key stops its tokens at the same
  moment as without a cache, in every process (each one's own reload is the signal).

Only tokens that passed every rule are stored, keyed by the whole token string (header, payload and
signature: a token differing in any byte is another entry), so a flood of invalid or forged tokens never
enters the cache and cannot push valid entries out. The size is bounded (least recently used out first);
``max_entries=0`` turns the cache off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tokenward_client.errors import InvalidToken
from tokenward_client.keys import VerificationKey
from tokenward_client.verification import AccessTokenClaims

DEFAULT_MAX_ENTRIES = 2048


@dataclass(frozen=True, slots=True)
class _Entry:
    claims: AccessTokenClaims
    kid: str
    key: VerificationKey
    expires: float
    not_before: float | None
    issued_at: float


class VerifiedTokenCache:
    """Verified tokens by their full text, least recently used evicted first; safe to share between threads."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, *, leeway_seconds: int = 30) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be 0 (off) or more")
        self.max_entries = max_entries
        self._leeway = leeway_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, token: str, key_for: Callable[[str], VerificationKey | None], now: datetime
    ) -> AccessTokenClaims | None:
        """The claims of ``token`` if it passed before, with its key still current and its times still
        valid at ``now``; ``None`` when it must be verified in full; ``InvalidToken`` if its time is up."""
        kid = self.kid_of(token)
        return None if kid is None else self.check(token, key_for(kid), now)

    def kid_of(self, token: str) -> str | None:
        """The ``kid`` of a cached token (to look its key up, possibly asynchronously), ``None`` if not cached."""
        entry = self._entries.get(token)
        return None if entry is None else entry.kid

    def check(
        self, token: str, current_key: VerificationKey | None, now: datetime
    ) -> AccessTokenClaims | None:
        """The cached claims if ``current_key`` (what the key source returns for the token's ``kid`` now) is
        the key that verified it and its times are still valid at ``now``."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            self._entries.move_to_end(token)
        if current_key is not entry.key:
            self.clear()  # the key set changed (reload, rotation, revocation): nothing cached is trusted
            return None
        current = now.timestamp()
        if current >= entry.expires + self._leeway:
            self._discard(token)
            raise InvalidToken("expired")
        if entry.not_before is not None and entry.not_before > current + self._leeway:
            raise InvalidToken("not_yet_valid")
        if entry.issued_at > current + self._leeway:
            raise InvalidToken("issued_in_future")
        return entry.claims

    def put(self, token: str, claims: AccessTokenClaims, kid: str, key: VerificationKey) -> None:
        """Remember a token that has just passed every rule with ``key``."""
        if self.max_entries == 0:
            return
        # the numbers exactly as ``verify_with_key`` compared them
        raw, not_before = claims.raw, claims.raw.get("nbf")
        entry = _Entry(
            claims,
            kid,
            key,
            expires=float(raw["exp"]),
            not_before=None if not_before is None else float(not_before),
            issued_at=float(raw["iat"]),
        )
        with self._lock:
            self._entries[token] = entry
            self._entries.move_to_end(token)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _discard(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

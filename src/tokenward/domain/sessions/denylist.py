"""The deny-list: revoked sessions and access tokens, refused before their access tokens expire.

An access token is verified offline, so revoking its session in the database is not enough on its own: every
process must also refuse the token on its next request. The deny-list is that shared memory. It holds two kinds
of entries, a revoked session id (refuses every access token carrying it as ``sid``) and a revoked access
token's ``jti``; each lives exactly as long as the longest access token it can still affect, so the list stays
small and needs no clean-up of its own:

- a session: ``now + access-token lifetime + leeway`` (any token of it issued before the revocation has
  expired by then, and the session row itself refuses anything later);
- an access token: its own ``exp + leeway``.

Adapters: in-process (``adapters.memory``) on the embedded default, Redis (``adapters.redis``) when
``TOKENWARD_REDIS_URL`` is set, so a revocation on one process is seen by every process on its next request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tokenward.domain.clock import Clock
from tokenward.domain.sessions.ports import DenyList


@dataclass(frozen=True, slots=True)
class DenyPolicy:
    """How long entries live: the longest an access token issued now can stay valid."""

    access_token_lifetime: timedelta
    leeway: timedelta

    @property
    def horizon(self) -> timedelta:
        return self.access_token_lifetime + self.leeway


#: told the ids of sessions that just ended, once they are denied (OpenID back-channel logout listens)
SessionsEnded = Callable[[Sequence[str]], Awaitable[None]]


class Revocations:
    """Puts revoked sessions and tokens on the deny-list for exactly as long as they matter; every session
    that ends passes through ``sessions_revoked``, so it is also where listeners hear of it."""

    def __init__(self, deny_list: DenyList, policy: DenyPolicy, clock: Clock) -> None:
        self._deny_list = deny_list
        self._policy = policy
        self._clock = clock
        self._listeners: list[SessionsEnded] = []

    def subscribe(self, listener: SessionsEnded) -> None:
        self._listeners.append(listener)

    async def sessions_revoked(self, session_ids: Iterable[str]) -> None:
        ended = list(session_ids)
        until = self._clock.now() + self._policy.horizon
        for session_id in ended:
            await self._deny_list.deny_session(session_id, until)
        for listener in self._listeners:
            await listener(ended)

    async def token_revoked(self, jti: str, expires_at: datetime) -> None:
        until = expires_at + self._policy.leeway
        if until > self._clock.now():
            await self._deny_list.deny_token(jti, until)

    async def is_denied(self, session_id: str, jti: str) -> bool:
        return await self._deny_list.is_denied(session_id, jti)

    @property
    def complete(self) -> bool:
        """Whether a session absent from the deny-list is known not to have ended (``DenyList.complete``)."""
        return self._deny_list.complete

"""``DenyList`` in Redis, shared by every process: a revocation on one is refused by all on the next request.

Each entry is one key with an expiry (``SET key 1 PX ttl``), so Redis forgets it exactly when it stops
mattering. The time to live is computed from the injected clock (``until - now``) rather than given as an
absolute time, so a process clock that is a little off shifts an entry's end by the same amount as the tokens'
own expiry checks. A check is one ``EXISTS`` on both keys: one round trip.

If Redis does not answer, the request fails with 503 ``dependency_unavailable``: refusing
to authenticate is the safe side when revocations cannot be read.

The list is ``complete``: every process writes every revocation here, so introspection trusts a session that
is absent from it without reading the session row. That needs Redis to keep the keys until they expire:
``maxmemory-policy noeviction`` (Redis's default; docs/operations.md), never a ``volatile-*`` or ``allkeys-*``
policy that could drop a deny entry under memory pressure.
"""

from __future__ import annotations

import math
from datetime import datetime

from redis.asyncio import Redis

from tokenward.adapters.redis.client import redis_answers
from tokenward.domain.clock import Clock

DEFAULT_PREFIX = "tokenward:deny:"


class RedisDenyList:
    complete = True

    def __init__(self, client: Redis, clock: Clock, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._clock = clock
        self._prefix = prefix

    async def deny_session(self, session_id: str, until: datetime) -> None:
        await self._set(self._session_key(session_id), until)

    async def deny_token(self, jti: str, until: datetime) -> None:
        await self._set(self._token_key(jti), until)

    async def is_denied(self, session_id: str, jti: str) -> bool:
        async with redis_answers():
            found: int = await self._client.exists(self._session_key(session_id), self._token_key(jti))
        return found > 0

    async def _set(self, key: str, until: datetime) -> None:
        milliseconds = math.ceil((until - self._clock.now()).total_seconds() * 1000)
        if milliseconds > 0:
            async with redis_answers():
                await self._client.set(key, b"1", px=milliseconds)

    def _session_key(self, session_id: str) -> str:
        return f"{self._prefix}s:{session_id}"

    def _token_key(self, jti: str) -> str:
        return f"{self._prefix}t:{jti}"

"""The deny-list in Redis, shared by every process: a revocation on one is refused by all on the next request.

Redis holds the fast copy; the database holds the record (``domain.sessions.durable_denylist``), so a
Redis that restarts empty loses nothing. Each entry is one key with an expiry (``SET key 1 PX ttl``), so Redis
forgets it exactly when it stops mattering. The time to live is computed from the injected clock
(``until - now``) rather than given as an absolute time, so a process clock that is a little off shifts an
entry's end by the same amount as the tokens' own expiry checks.

A look-up is one ``MGET`` of the fill marker and both keys: one round trip says whether the session or the
token is denied and whether this Redis still holds what was filled into it. The marker is written last by
``fill`` and has no expiry, so it is missing exactly when Redis lost its data (a restart without
persistence, a flush) or was never filled.

If Redis does not answer, the call fails with ``DependencyUnavailable``; the durable deny-list then asks the
database instead.

Introspection trusts this copy alone (no session read) while it is trusted, so Redis must keep the keys until
they expire: ``maxmemory-policy noeviction`` (Redis's default; docs/operations.md), never a ``volatile-*`` or
``allkeys-*`` policy that could drop a deny entry under memory pressure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from redis.asyncio import Redis

from tokenward.adapters.health import DependencyHealth
from tokenward.adapters.logging import get_logger
from tokenward.adapters.redis.client import redis_answers
from tokenward.domain.clock import Clock
from tokenward.domain.sessions.durable_denylist import SESSION, TOKEN, DenyEntry

DEFAULT_PREFIX = "tokenward:deny:"
#: entries written per pipeline round trip while filling
FILL_BATCH = 500


class RedisDenyList:
    #: every process writes its revocations here (see ``DurableDenyList.complete``)
    shared = True

    @property
    def complete(self) -> bool:
        """Used alone as the deny-list (without the durable record): complete when shared."""
        return self.shared

    def __init__(
        self,
        client: Redis,
        clock: Clock,
        *,
        prefix: str = DEFAULT_PREFIX,
        health: DependencyHealth | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._prefix = prefix
        self._health = health
        self._marker = f"{prefix}filled"
        self._log = get_logger("tokenward.denylist")

    async def deny_session(self, session_id: str, until: datetime) -> None:
        await self.add([DenyEntry(SESSION, session_id, until)])

    async def deny_token(self, jti: str, until: datetime) -> None:
        await self.add([DenyEntry(TOKEN, jti, until)])

    async def is_denied(self, session_id: str, jti: str) -> bool:
        _marker, denied = await self._read(session_id, jti)
        return denied

    async def lookup(self, session_id: str, jti: str) -> bool | None:
        filled, denied = await self._read(session_id, jti)
        return denied if filled else None

    async def _read(self, session_id: str, jti: str) -> tuple[bool, bool]:
        """(whether the fill marker is there, whether the session or the token is denied): one round trip."""
        async with redis_answers(self._health):
            marker, session, token = await self._client.mget(
                self._marker, self._key(SESSION, session_id), self._key(TOKEN, jti)
            )
        return marker is not None, session is not None or token is not None

    async def add(self, entries: Sequence[DenyEntry]) -> None:
        now = self._clock.now()
        timed = [(entry, _milliseconds_left(entry.until, now)) for entry in entries]
        live = [(entry, ms) for entry, ms in timed if ms > 0]
        for start in range(0, len(live), FILL_BATCH):
            async with redis_answers(self._health), self._client.pipeline(transaction=False) as pipe:
                for entry, milliseconds in live[start : start + FILL_BATCH]:
                    pipe.set(self._key(entry.kind, entry.key), b"1", px=milliseconds)
                await pipe.execute()

    async def fill(self, entries: Sequence[DenyEntry]) -> None:
        await self.add(entries)
        async with redis_answers(self._health):
            await self._client.set(self._marker, b"1")
        self._log.info("deny_list_filled", store="redis", entries=len(entries))

    def _key(self, kind: str, key: str) -> str:
        return f"{self._prefix}{'s' if kind == SESSION else 't'}:{key}"


def _milliseconds_left(until: datetime, now: datetime) -> int:
    return math.ceil((until - now).total_seconds() * 1000)

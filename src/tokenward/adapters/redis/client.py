"""One ``redis.asyncio`` client per process, created from ``TOKENWARD_REDIS_URL`` by the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tokenward.errors import DependencyUnavailable

#: fail a request quickly rather than hang it when Redis is slow or gone
SOCKET_TIMEOUT_SECONDS = 2.0


def create_redis_client(url: str) -> Redis:
    """A pooled client; no connection is made until the first command (the readiness check pings it)."""
    client: Redis = Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )
    return client


@asynccontextmanager
async def redis_answers() -> AsyncIterator[None]:
    """Turn "Redis does not answer" into ``DependencyUnavailable`` (503 with ``Retry-After``).

    Fail closed: a revocation or a limit that cannot be read is never treated as absent.
    """
    try:
        yield
    except RedisError as exc:
        raise DependencyUnavailable("Redis") from exc

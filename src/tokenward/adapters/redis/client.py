"""One ``redis.asyncio`` client per process, created from ``TOKENWARD_REDIS_URL`` by the composition root."""

from __future__ import annotations

from redis.asyncio import Redis

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

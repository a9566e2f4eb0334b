"""One ``redis.asyncio`` client per process, created from ``TOKENWARD_REDIS_URL`` by the composition root.

Two URL forms:

- ``redis://[user:password@]host:port/db`` (or ``rediss://`` for TLS): one server;
- ``redis+sentinel://[user:password@]host:port,host:port/service[/db]``: the primary of ``service`` as the
  Sentinels name it, found again after a failover without a restart (the ``limits`` library reads the same
  form). The password is the primary's and is given to the Sentinels too.

After Redis restarts, every pooled connection is dead, and the first command on each would fail. So an
idle connection is checked with a ``PING`` before use (``health_check_interval``) and a command that meets a
connection error is retried once on a fresh connection: service is whole as soon as Redis answers again. A
time-out is not retried: a Redis that stalls costs a request one ``timeout``, not two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from tokenward.adapters.dependencies import REDIS, answering, redis_unavailable
from tokenward.adapters.health import DependencyHealth
from tokenward.errors import ConfigurationError

#: fail a request quickly rather than hang it when Redis is slow or gone
SOCKET_TIMEOUT_SECONDS = 2.0
#: a connection idle longer than this is checked with PING before its next command
HEALTH_CHECK_INTERVAL_SECONDS = 5

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")


@dataclass(frozen=True, slots=True)
class SentinelTarget:
    sentinels: list[tuple[str, int]]
    service: str
    db: int
    username: str | None
    password: str | None
    tls: bool


def parse_sentinel_url(url: str) -> SentinelTarget:
    """``redis+sentinel://[user:pass@]h1:26379,h2:26379/service[/db]``."""
    scheme, _, rest = url.partition("://")
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    if not hosts or not parts:
        raise ConfigurationError(
            [
                "TOKENWARD_REDIS_URL: a Sentinel URL needs hosts and a service name: redis+sentinel://h:26379/name"
            ]
        )
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "26379")
        sentinels.append((name, int(port or 26379)))
    return SentinelTarget(
        sentinels=sentinels,
        service=parts[0],
        db=int(parts[1]) if len(parts) > 1 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
        tls=scheme.startswith("rediss"),
    )


def create_redis_client(url: str, *, timeout: float = SOCKET_TIMEOUT_SECONDS) -> Redis:
    """A pooled client; no connection is made until the first command (the readiness check pings it)."""
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": HEALTH_CHECK_INTERVAL_SECONDS,
        # RuntimeError: under uvloop (what ``serve`` runs on) writing to a connection the server closed raises
        # "unable to perform operation on <TCPTransport closed=True ...>" instead of a connection error
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError, RuntimeError)),  # type: ignore[arg-type]
    }
    if url.partition("://")[0] in SENTINEL_SCHEMES:
        return _sentinel_client(parse_sentinel_url(url), options)
    client: Redis = Redis.from_url(url, **options)
    return client


def _sentinel_client(target: SentinelTarget, options: dict[str, Any]) -> Redis:
    auth = {
        key: value for key, value in (("username", target.username), ("password", target.password)) if value
    }
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        target.sentinels,
        sentinel_kwargs={
            "socket_timeout": options["socket_timeout"],
            "socket_connect_timeout": options["socket_connect_timeout"],
            "retry": Retry(NoBackoff(), 0),
            **auth,
        },
        **options,
        **auth,
        db=target.db,
        ssl=target.tls,
    )
    client: Redis = sentinel.master_for(target.service, redis_class=_SentinelManagedRedis)
    return client


class _SentinelManagedRedis(Redis):
    """The primary's client, which also closes the connections to the Sentinels when it is closed."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for sentinel in self.connection_pool.sentinel_manager.sentinels:  # type: ignore[attr-defined]
            await sentinel.aclose()


async def ping(client: Redis, health: DependencyHealth | None = None) -> None:
    """Raise ``DependencyUnavailable`` unless Redis answers (readiness probe)."""
    async with redis_answers(health):
        await client.ping()


@asynccontextmanager
async def redis_answers(health: DependencyHealth | None = None) -> AsyncIterator[None]:
    """Turn "Redis does not answer" into ``DependencyUnavailable`` (503 with ``Retry-After``).

    Fail closed: a revocation or a limit that cannot be read is never treated as absent.
    """
    async with answering(REDIS, redis_unavailable, health):
        yield

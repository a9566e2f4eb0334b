"""High-availability URLs: PostgreSQL with several hosts, Redis through Sentinel."""

from __future__ import annotations

import pytest

from tokenward.adapters.redis.client import create_redis_client, parse_sentinel_url
from tokenward.adapters.sql.database import Database, async_url
from tokenward.errors import ConfigurationError


def test_several_postgresql_hosts_become_the_form_asyncpg_reads() -> None:
    url = async_url("postgresql://tw:secret@db1:5432,db2:5433/tokenward?target_session_attrs=read-write")
    assert url.drivername == "postgresql+asyncpg"
    assert url.database == "tokenward"
    assert url.password == "secret"
    assert url.query == {"host": ("db1:5432", "db2:5433"), "target_session_attrs": "read-write"}


def test_one_host_is_left_alone() -> None:
    url = async_url("postgresql://tw@db1:5432/tokenward")
    assert (url.host, url.port, url.query) == ("db1", 5432, {})


async def test_messages_name_every_host() -> None:
    database = Database("postgresql://tw@db1:5432,db2:5433/tokenward")
    try:
        assert database.location == "db1:5432,db2:5433"
    finally:
        await database.dispose()
    single = Database("postgresql://tw@db1/tokenward")
    try:
        assert single.location == "db1:5432"
    finally:
        await single.dispose()


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_database() -> None:
    target = parse_sentinel_url("redis+sentinel://:p%40ss@s1:26379,s2:26380/tokenward/3")
    assert target.sentinels == [("s1", 26379), ("s2", 26380)]
    assert (target.service, target.db, target.password, target.username, target.tls) == (
        "tokenward",
        3,
        "p@ss",
        None,
        False,
    )
    assert parse_sentinel_url("rediss+sentinel://s1/tw").sentinels == [("s1", 26379)]
    assert parse_sentinel_url("rediss+sentinel://s1/tw").tls is True


def test_a_sentinel_url_without_a_service_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="service name"):
        parse_sentinel_url("redis+sentinel://s1:26379")


async def test_a_sentinel_url_gives_a_client_of_the_primary() -> None:
    client = create_redis_client("redis+sentinel://127.0.0.1:1/tokenward")
    try:
        assert client.connection_pool.service_name == "tokenward"  # type: ignore[attr-defined]
    finally:
        await client.aclose()

"""Which errors mean "a dependency does not answer" (503), and the last-resort middleware that answers them.

An exception that escapes to the HTTP server costs the client its keep-alive connection and the log a
traceback; the last resort answers every one of them in the route's shape and raises nothing further.
"""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from sqlalchemy import exc as sa_exc
from starlette.types import Receive, Scope, Send

from tokenward.adapters.dependencies import (
    database_unavailable,
    last_resort_refusal,
    redis_unavailable,
    unavailable_dependency,
)
from tokenward.adapters.health import DependencyHealth
from tokenward.api.middleware import EdgeMiddleware
from tokenward.api.services import ApiConfig


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _dbapi_error(sqlstate: str, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, _Orig(sqlstate), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked")),
        sa_exc.TimeoutError("QueuePool limit reached"),
        _dbapi_error("XX000", invalidated=True),
        _dbapi_error("57P01"),  # admin shutdown
        _dbapi_error("53300"),  # too many connections
        _dbapi_error("57014"),  # statement time-out
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    ],
    ids=repr,
)
def test_connection_level_database_errors_are_unavailability(error: BaseException) -> None:
    assert database_unavailable(error)
    assert unavailable_dependency(error) == "database"


@pytest.mark.parametrize(
    "error",
    [
        sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        _dbapi_error("25006"),  # read-only transaction: a standby, a configuration matter
        _dbapi_error("40P01"),  # deadlock: a bug in lock order, not an outage
        ValueError("naive datetime"),
    ],
    ids=repr,
)
def test_statement_errors_are_not(error: BaseException) -> None:
    assert not database_unavailable(error)
    assert unavailable_dependency(error) is None


def test_every_redis_error_refuses_for_now() -> None:
    for error in (RedisConnectionError("closed"), ResponseError("READONLY"), TimeoutError()):
        assert redis_unavailable(error)
    assert unavailable_dependency(RedisConnectionError("closed")) == "redis"


def _failing(error: Exception):  # type: ignore[no-untyped-def]
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise error

    return app


async def _answer(error: Exception, path: str, health: DependencyHealth) -> httpx.Response:
    config = ApiConfig(
        issuer="https://auth.example.test",
        audiences=("api",),
        triage=lambda exc, path: last_resort_refusal(exc, path, health),
    )
    app = EdgeMiddleware(_failing(error), config=config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.post(path)


async def test_an_escaped_dependency_error_becomes_503_in_the_route_shape() -> None:
    health = DependencyHealth()
    problem = await _answer(ConnectionResetError(104, "reset"), "/v1/me", health)
    assert problem.status_code == 503
    assert problem.headers["retry-after"] == "1"
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["code"] == "dependency_unavailable"
    assert health.is_down("database")

    oauth = await _answer(RedisConnectionError("closed"), "/oauth/token", health)
    assert (oauth.status_code, oauth.json()["error"]) == (503, "temporarily_unavailable")


async def test_any_other_escaped_error_is_a_bare_500_and_raises_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    health = DependencyHealth()
    for _ in range(3):
        response = await _answer(KeyError("secret-looking-detail"), "/v1/me", health)
        assert response.status_code == 500
        assert response.json()["code"] == "internal_error"
        assert "secret-looking-detail" not in response.text
    captured = capsys.readouterr()
    log = captured.out + captured.err
    assert log.count("unhandled_error") == 3
    assert log.count("Traceback") == 1  # one per distinct error per minute

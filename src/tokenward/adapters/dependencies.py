"""Which failures mean "a dependency does not answer", and the one place that turns them into 503.

A request that meets a dead connection, a refused connect, a time-out or a server shutting down must get
``503 dependency_unavailable`` with ``Retry-After`` (the client may try again), never ``500`` (which says the
server is broken) and never an exception that reaches the HTTP server (which would drop the keep-alive
connection). ``answering`` wraps every adapter call to the database and to Redis: it classifies the error,
reports it to the health tracker (``adapters.health``) and raises ``DependencyUnavailable`` from it. Errors
that are not about availability (a constraint violation, a bug) pass through unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
from limits.errors import StorageError
from redis.exceptions import RedisError
from sqlalchemy import exc as sa_exc

from tokenward.adapters.health import DependencyHealth, process_health
from tokenward.adapters.logging import get_logger
from tokenward.errors import DependencyUnavailable, TokenwardError, describe_error

_unhandled_log = get_logger("tokenward.api")

DATABASE = "database"
REDIS = "redis"
MAILER = "mailer"

#: how the 503's detail names each dependency
_NAMES = {DATABASE: "The database", REDIS: "Redis", MAILER: "The mail server"}

#: SQLSTATE classes that mean the server cannot serve now: connection exception (08), insufficient
#: resources such as too many connections (53), operator intervention such as a shutdown or a statement
#: time-out (57)
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")

#: the same classes as asyncpg's own exceptions, for errors raised before SQLAlchemy could wrap them
_ASYNCPG_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    # the connection broke during a statement sent on the raw connection (``Database.raw_write``)
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def _sqlstate(error: BaseException) -> str:
    for candidate in (getattr(error, "orig", None), error.__cause__, error):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


def database_unavailable(error: BaseException) -> bool:
    """A failure of the connection or the server, not of the statement: worth a retry later.

    SQLAlchemy lets some connect-time errors out raw (``ConnectionRefusedError``, ``TimeoutError``), wraps
    others (``OperationalError``, a ``DBAPIError`` that invalidated its connection), and asyncpg names a
    few of its own; all of them mean the same thing to the caller.
    """
    if isinstance(
        error,
        sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError | sa_exc.DisconnectionError,
    ):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or _sqlstate(error)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    return isinstance(error, (OSError, *_ASYNCPG_UNAVAILABLE))


def redis_unavailable(error: BaseException) -> bool:
    """Any error of Redis (or of the rate-limit storage on it): a refused revocation or limit check must not
    be treated as "nothing there", so every one of them refuses the request for now. Under uvloop, a write to
    a connection the server closed is a ``RuntimeError`` naming the closed transport."""
    return isinstance(error, RedisError | StorageError | OSError) or _closed_transport(error)


def _closed_transport(error: BaseException) -> bool:
    return isinstance(error, RuntimeError) and "closed=True" in str(error)


def unavailable_dependency(error: BaseException) -> str | None:
    """The dependency an error shows to be unavailable, for errors that escaped the adapters (last resort)."""
    if isinstance(error, RedisError | StorageError) or _closed_transport(error):
        return REDIS
    if database_unavailable(error):
        return DATABASE
    return None


@asynccontextmanager
async def answering(
    dependency: str,
    is_unavailable: Callable[[BaseException], bool],
    health: DependencyHealth | None = None,
) -> AsyncIterator[None]:
    """Run the block; a failure that ``is_unavailable`` recognises becomes ``DependencyUnavailable``."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, DependencyUnavailable) or not is_unavailable(exc):
            raise
        raise unavailable(dependency, exc, health) from exc
    (health or process_health()).succeeded(dependency)


def unavailable(
    dependency: str, error: BaseException, health: DependencyHealth | None = None
) -> DependencyUnavailable:
    """Report ``error`` to the health tracker and return the 503 refusal that names ``dependency``."""
    (health or process_health()).failed(dependency, error)
    return DependencyUnavailable(_NAMES.get(dependency, dependency))


def last_resort_refusal(
    error: Exception, path: str, health: DependencyHealth | None = None
) -> TokenwardError:
    """The refusal for an exception that escaped every route (``api.last_resort``): a dependency shown to be
    down becomes its 503 (and is reported); anything else a bare 500, logged in one line with its traceback at
    most once a minute per distinct error."""
    tracker = health or process_health()
    dependency = unavailable_dependency(error)
    if dependency is not None:
        return unavailable(dependency, error, tracker)
    traceback = error if tracker.tracebacks.allow("unhandled", error) else None
    _unhandled_log.error("unhandled_error", path=path, cause=describe_error(error), exc_info=traceback)
    return TokenwardError()

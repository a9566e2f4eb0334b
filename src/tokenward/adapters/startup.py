"""Start-up waits for the database instead of failing at the first refused connection.

Containers start in any order and a database restarts slower than the processes that use it, so a server that
gives up at once only makes its supervisor restart it in a loop. ``wait_for_database`` tries to connect with
back-off (0.25 s, doubling, at most 5 s between tries) until the database answers or the start-up time has passed,
then raises ``DatabaseNotAnswering`` naming where it looked and why it failed; ``tokenward serve`` turns that
into one line and its own exit code. The first failure is logged once by the health tracker
(``dependency_down``), and its return once the server runs (``dependency_up``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from tokenward.adapters.health import DependencyHealth
from tokenward.adapters.sql.database import Database
from tokenward.errors import DependencyUnavailable, describe_error

FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 5.0


class DatabaseNotAnswering(Exception):
    """The database did not answer within the start-up time."""

    def __init__(self, location: str, cause: str, waited: float) -> None:
        self.location = location
        self.cause = cause
        self.waited = waited
        super().__init__(f"the database at {location} did not answer within {waited:g} s: {cause}")


async def wait_for_database(
    url: str,
    *,
    within: float,
    connect_timeout: float = MAX_DELAY_SECONDS,
    health: DependencyHealth | None = None,
    now: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Return once the database at ``url`` answers; raise ``DatabaseNotAnswering`` after ``within`` seconds.

    SQLite is a file on this host: there is nothing to wait for, and an unusable path is reported by start-up.
    """
    database = Database(url, pool_size=1, max_overflow=0, connect_timeout=connect_timeout, health=health)
    if database.is_sqlite:
        await database.dispose()
        return
    deadline = now() + within
    delay = FIRST_DELAY_SECONDS
    try:
        while True:
            try:
                await database.ping()
            except DependencyUnavailable as exc:
                remaining = deadline - now()
                if remaining <= 0:
                    cause = describe_error(exc.__cause__ or exc)
                    raise DatabaseNotAnswering(database.location, cause, within) from exc
                await sleep(min(delay, remaining))
                delay = min(delay * 2, MAX_DELAY_SECONDS)
            else:
                return
    finally:
        await database.dispose()

"""A rotation whose commit fails half-way: answered with 503, and undone if it did commit (issue 16).

When the connection breaks after ``COMMIT`` was sent, the rotation may have been committed although the
request fails and its successor token is thrown away. Left alone, the client's retry with the old token would
look like reuse. The repository remembers such a rotation and undoes it before it reads a refresh token
again, unless the successor was used (by then it was handed out after all, and nothing is undone).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.contract import records
from tokenward.adapters.sql import Database, SqlSessionRepository, SqlUserRepository
from tokenward.adapters.sql.database import CommitUncertain
from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.model import RefreshTokenRecord, Session


class _Broken(Exception):
    """The connection broke before the commit (rolls the transaction back)."""


class CommitAnswerLost:
    """The database, except that the next write's outcome does not reach the caller."""

    def __init__(self, db: Database) -> None:
        self._db = db
        #: "after": committed, then the answer is lost; "before": the connection broke before the commit
        self.next_loss: str | None = None

    def read(self) -> Any:
        return self._db.read()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Any]:
        loss, self.next_loss = self.next_loss, None
        if loss == "before":
            try:
                async with self._db.write() as conn:
                    yield conn
                    raise _Broken
            except _Broken as exc:
                raise CommitUncertain() from exc
        async with self._db.write() as conn:
            yield conn
        if loss == "after":
            raise CommitUncertain()


@pytest.fixture
def flaky(db: Database) -> CommitAnswerLost:
    return CommitAnswerLost(db)


@pytest.fixture
def repo(flaky: CommitAnswerLost) -> SqlSessionRepository:
    return SqlSessionRepository(flaky)  # type: ignore[arg-type]


@pytest.fixture
async def started(
    repo: SqlSessionRepository, db: Database, clock: FrozenClock
) -> tuple[Session, RefreshTokenRecord]:
    user = records.user(clock.now())
    await SqlUserRepository(db).add(user)
    session = records.session(user.id, clock.now())
    token = records.refresh_token(session, clock.now())
    await repo.create(session, token)
    return session, token


async def test_a_committed_rotation_whose_answer_was_lost_is_undone(
    repo: SqlSessionRepository,
    flaky: CommitAnswerLost,
    started: tuple[Session, RefreshTokenRecord],
    clock: FrozenClock,
) -> None:
    session, old = started
    successor = records.refresh_token(session, clock.now())
    flaky.next_loss = "after"
    with pytest.raises(CommitUncertain):
        await repo.rotate(old.token_hash, successor, clock.now())

    # the retry of the same refresh token: current again, the unseen successor gone
    found = await repo.find_refresh_token_and_session(old.token_hash)
    assert found is not None
    assert found[0].rotated_at is None
    assert await repo.find_refresh_token(successor.token_hash) is None
    retry_successor = records.refresh_token(session, clock.now())
    assert await repo.rotate(old.token_hash, retry_successor, clock.now()) is True


async def test_a_rotation_lost_before_its_commit_leaves_nothing_to_undo(
    repo: SqlSessionRepository,
    flaky: CommitAnswerLost,
    started: tuple[Session, RefreshTokenRecord],
    clock: FrozenClock,
) -> None:
    session, old = started
    successor = records.refresh_token(session, clock.now())
    flaky.next_loss = "before"
    with pytest.raises(CommitUncertain):
        await repo.rotate(old.token_hash, successor, clock.now())

    assert await repo.find_refresh_token(old.token_hash) == old
    assert await repo.find_refresh_token(successor.token_hash) is None


async def test_a_successor_that_was_used_meanwhile_is_never_undone(
    repo: SqlSessionRepository,
    flaky: CommitAnswerLost,
    db: Database,
    started: tuple[Session, RefreshTokenRecord],
    clock: FrozenClock,
) -> None:
    session, old = started
    successor = records.refresh_token(session, clock.now())
    flaky.next_loss = "after"
    with pytest.raises(CommitUncertain):
        await repo.rotate(old.token_hash, successor, clock.now())
    # another process rotated the successor before this one could undo anything
    third = records.refresh_token(session, clock.now())
    assert await SqlSessionRepository(db).rotate(successor.token_hash, third, clock.now()) is True

    found = await repo.find_refresh_token(old.token_hash)
    assert found is not None
    assert found.rotated_at is not None
    assert await repo.find_refresh_token(third.token_hash) == third

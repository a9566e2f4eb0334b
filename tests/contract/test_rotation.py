"""Refresh-token rotation: exactly one winner per token, even under concurrency (T-REF-01, T-REF-02)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, func, select

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.adapters.sql import Database, SqlSessionRepository, SqlUserRepository
from tokenward.adapters.sql.tables import refresh_tokens
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.model import RefreshTokenRecord, RevokeReason, Session
from tokenward.domain.sessions.ports import SessionRepository

CONCURRENT_CALLERS = 20


@pytest.fixture
def repo(stores: Stores) -> SessionRepository:
    return stores.sessions


async def _start(
    users: UserRepository, sessions: SessionRepository, clock: FrozenClock
) -> tuple[Session, RefreshTokenRecord]:
    user = records.user(clock.now())
    await users.add(user)
    session = records.session(user.id, clock.now())
    token = records.refresh_token(session, clock.now())
    await sessions.create(session, token)
    return session, token


@pytest.fixture
async def started(stores: Stores, clock: FrozenClock) -> tuple[Session, RefreshTokenRecord]:
    return await _start(stores.users, stores.sessions, clock)


@pytest.fixture
async def started_in_sql(db: Database, clock: FrozenClock) -> tuple[Session, RefreshTokenRecord]:
    """Like ``started``, for the tests of what only a database does (connection pools, locks)."""
    return await _start(SqlUserRepository(db), SqlSessionRepository(db), clock)


async def _tokens_of(db: Database, session_id: str) -> int:
    async with db.read() as conn:
        statement = select(func.count()).where(refresh_tokens.c.session_id == session_id)
        return int((await conn.execute(statement)).scalar_one())


async def test_rotate_winner_then_loser(
    repo: SessionRepository, started: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    session, old = started
    clock.advance(60)
    successor = records.refresh_token(session, clock.now())
    other = records.refresh_token(session, clock.now())

    assert await repo.rotate(old.token_hash, successor, clock.now()) is True
    assert await repo.rotate(old.token_hash, other, clock.now()) is False

    assert await repo.find_refresh_token(old.token_hash) == replace(old, rotated_at=clock.now())
    assert await repo.find_refresh_token(successor.token_hash) == successor
    assert await repo.find_refresh_token(other.token_hash) is None
    assert await repo.get(session.id) == replace(session, last_used_at=clock.now())


async def test_successor_can_be_rotated_in_turn(
    repo: SessionRepository, started: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    session, old = started
    second = records.refresh_token(session, clock.now())
    third = records.refresh_token(session, clock.now())

    assert await repo.rotate(old.token_hash, second, clock.now())
    assert await repo.rotate(second.token_hash, third, clock.now())
    assert (
        await repo.rotate(old.token_hash, records.refresh_token(session, clock.now()), clock.now()) is False
    )


@pytest.mark.threat("T-REF-01")
async def test_rotating_a_revoked_token_fails(
    repo: SessionRepository, started: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    session, old = started
    await repo.revoke(session.id, clock.now(), RevokeReason.REFRESH_TOKEN_REUSE)
    clock.advance(1)
    successor = records.refresh_token(session, clock.now())

    assert await repo.rotate(old.token_hash, successor, clock.now()) is False
    assert await repo.find_refresh_token(successor.token_hash) is None
    stored = await repo.get(session.id)
    assert stored is not None
    assert stored.last_used_at == session.last_used_at


async def test_rotating_an_unknown_token_fails(
    repo: SessionRepository, started: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    session, _ = started
    successor = records.refresh_token(session, clock.now())

    assert await repo.rotate(records.token_hash(), successor, clock.now()) is False
    assert await repo.find_refresh_token(successor.token_hash) is None


@pytest.mark.threat("T-REF-02")
async def test_concurrent_rotations_have_exactly_one_winner(
    backend_url: str, started_in_sql: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    session, old = started_in_sql
    # its own pool, large enough that on PostgreSQL every caller holds its own connection at the same time
    db = Database(backend_url, pool_size=CONCURRENT_CALLERS, max_overflow=0)
    try:
        repo = SqlSessionRepository(db)
        await _warm_pool(db, CONCURRENT_CALLERS)
        peak = _track_connections_in_use(db)
        successors = [records.refresh_token(session, clock.now()) for _ in range(CONCURRENT_CALLERS)]

        outcomes = await asyncio.gather(*(repo.rotate(old.token_hash, s, clock.now()) for s in successors))

        assert outcomes.count(True) == 1
        winner = successors[outcomes.index(True)]
        assert await repo.find_refresh_token(winner.token_hash) == winner
        for loser in successors:
            if loser is not winner:
                assert await repo.find_refresh_token(loser.token_hash) is None
        assert await _tokens_of(db, session.id) == 2  # the old token and one successor: no fork
        if db.is_postgresql:
            assert peak() >= 10, "the rotations did not overlap; the test proves nothing"
    finally:
        await db.dispose()


async def _warm_pool(db: Database, size: int) -> None:
    """Open ``size`` connections up front so the rotations race each other, not the connection set-up."""
    all_open = asyncio.Event()
    release = asyncio.Event()
    opened = 0

    async def hold() -> None:
        nonlocal opened
        async with db.read():
            opened += 1
            if opened == size:
                all_open.set()
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(size)]
    await all_open.wait()
    release.set()
    await asyncio.gather(*holders)


def _track_connections_in_use(db: Database) -> Callable[[], int]:
    in_use = 0
    peak = 0

    def checkout(*_: object) -> None:
        nonlocal in_use, peak
        in_use += 1
        peak = max(peak, in_use)

    def checkin(*_: object) -> None:
        nonlocal in_use
        in_use -= 1

    event.listen(db.engine.sync_engine.pool, "checkout", checkout)
    event.listen(db.engine.sync_engine.pool, "checkin", checkin)
    return lambda: peak


@pytest.mark.threat("T-REF-01")
async def test_rotation_racing_revocation_leaves_no_live_token(
    backend_url: str, started_in_sql: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    """A refresh in flight during a logout: no deadlock error, and nothing usable survives the logout."""
    session, old = started_in_sql
    db = Database(backend_url, pool_size=CONCURRENT_CALLERS, max_overflow=0)
    try:
        repo = SqlSessionRepository(db)
        await _warm_pool(db, CONCURRENT_CALLERS)
        successors = [records.refresh_token(session, clock.now()) for _ in range(CONCURRENT_CALLERS - 2)]
        calls: list[Coroutine[Any, Any, object]] = [
            repo.rotate(old.token_hash, s, clock.now()) for s in successors
        ]
        calls.insert(len(calls) // 2, repo.revoke(session.id, clock.now(), RevokeReason.LOGOUT))
        calls.append(repo.revoke_all_for_user(session.user_id, clock.now(), RevokeReason.LOGOUT_ALL))

        await asyncio.gather(*calls)

        stored = await repo.get(session.id)
        assert stored is not None
        assert not stored.active
        for token in [old, *successors]:
            found = await repo.find_refresh_token(token.token_hash)
            assert found is None or found.revoked_at is not None
    finally:
        await db.dispose()


async def test_a_refresh_token_is_found_with_its_session(
    repo: SessionRepository, started: tuple[Session, RefreshTokenRecord], clock: FrozenClock
) -> None:
    session, token = started
    assert await repo.find_refresh_token_and_session(token.token_hash) == (token, session)
    assert await repo.find_refresh_token_and_session("0" * 64) is None
    await repo.revoke(session.id, clock.now(), "logout")
    found = await repo.find_refresh_token_and_session(token.token_hash)
    assert found is not None
    assert found[0].revoked_at == clock.now()
    assert found[1].revoked_at == clock.now()

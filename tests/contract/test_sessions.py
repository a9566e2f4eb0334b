"""SessionRepository contract: sessions, their refresh tokens, touch and revocation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.domain.accounts.users import User
from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.model import RefreshTokenRecord, RevokeReason, Session
from tokenward.domain.sessions.ports import SessionRepository


@pytest.fixture
def repo(stores: Stores) -> SessionRepository:
    return stores.sessions


@pytest.fixture
async def alice(stores: Stores, clock: FrozenClock) -> User:
    user = records.user(clock.now())
    await stores.users.add(user)
    return user


async def _start(
    repo: SessionRepository, user: User, clock: FrozenClock
) -> tuple[Session, RefreshTokenRecord]:
    session = records.session(user.id, clock.now())
    token = records.refresh_token(session, clock.now())
    await repo.create(session, token)
    return session, token


async def test_create_stores_session_and_first_token(
    repo: SessionRepository, alice: User, clock: FrozenClock
) -> None:
    session, token = await _start(repo, alice, clock)

    assert await repo.get(session.id) == session
    assert await repo.find_refresh_token(token.token_hash) == token
    assert await repo.get("no-such-session") is None
    assert await repo.find_refresh_token(records.token_hash()) is None


async def test_session_fields_round_trip(repo: SessionRepository, alice: User, clock: FrozenClock) -> None:
    session = records.session(alice.id, clock.now(), amr=(), ip=None, user_agent=None, scope="")
    await repo.create(session, records.refresh_token(session, clock.now()))

    stored = await repo.get(session.id)
    assert stored == session
    assert stored is not None
    assert stored.amr == ()


async def test_create_is_one_transaction(repo: SessionRepository, alice: User, clock: FrozenClock) -> None:
    first, token = await _start(repo, alice, clock)
    second = records.session(alice.id, clock.now())

    # the token hash is taken: the whole create fails, the session is not left behind without a token
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await repo.create(second, records.refresh_token(second, clock.now(), token_hash=token.token_hash))
    assert await repo.get(second.id) is None
    assert await repo.get(first.id) == first


async def test_list_for_user(
    repo: SessionRepository, alice: User, stores: Stores, clock: FrozenClock
) -> None:
    bob = records.user(clock.now())
    await stores.users.add(bob)
    older, _ = await _start(repo, alice, clock)
    clock.advance(10)
    newer, _ = await _start(repo, alice, clock)
    await _start(repo, bob, clock)
    await repo.revoke(older.id, clock.now(), RevokeReason.LOGOUT)

    assert [s.id for s in await repo.list_for_user(alice.id)] == [newer.id]
    every = await repo.list_for_user(alice.id, active_only=False)
    assert {s.id for s in every} == {older.id, newer.id}
    assert await repo.list_for_user("nobody") == []


async def test_touch_sets_last_used(repo: SessionRepository, alice: User, clock: FrozenClock) -> None:
    session, _ = await _start(repo, alice, clock)
    clock.advance(300)

    await repo.touch(session.id, clock.now())

    assert await repo.get(session.id) == replace(session, last_used_at=clock.now())


async def test_revoke_marks_session_and_every_token(
    repo: SessionRepository, alice: User, clock: FrozenClock
) -> None:
    session, first = await _start(repo, alice, clock)
    second = records.refresh_token(session, clock.now())
    assert await repo.rotate(first.token_hash, second, clock.now())
    clock.advance(5)

    assert await repo.revoke(session.id, clock.now(), RevokeReason.LOGOUT) is True

    stored = await repo.get(session.id)
    assert stored is not None
    assert not stored.active
    assert stored.revoked_at == clock.now()
    assert stored.revoked_reason == "logout"
    for token_hash in (first.token_hash, second.token_hash):
        token = await repo.find_refresh_token(token_hash)
        assert token is not None
        assert token.revoked_at == clock.now()


async def test_revoke_twice_returns_false_and_keeps_first_reason(
    repo: SessionRepository, alice: User, clock: FrozenClock
) -> None:
    session, _ = await _start(repo, alice, clock)
    assert await repo.revoke(session.id, clock.now(), RevokeReason.LOGOUT) is True
    first_time = clock.now()
    clock.advance(5)

    assert await repo.revoke(session.id, clock.now(), RevokeReason.ADMIN) is False
    assert await repo.revoke("no-such-session", clock.now(), RevokeReason.ADMIN) is False
    stored = await repo.get(session.id)
    assert stored is not None
    assert stored.revoked_at == first_time
    assert stored.revoked_reason == "logout"


async def test_revoke_all_for_user_except_one(
    repo: SessionRepository, alice: User, stores: Stores, clock: FrozenClock
) -> None:
    bob = records.user(clock.now())
    await stores.users.add(bob)
    kept, kept_token = await _start(repo, alice, clock)
    gone_1, token_1 = await _start(repo, alice, clock)
    gone_2, token_2 = await _start(repo, alice, clock)
    already, _ = await _start(repo, alice, clock)
    await repo.revoke(already.id, clock.now(), RevokeReason.LOGOUT)
    bobs, bobs_token = await _start(repo, bob, clock)
    clock.advance(1)

    revoked = await repo.revoke_all_for_user(
        alice.id, clock.now(), RevokeReason.PASSWORD_CHANGED, except_session_id=kept.id
    )

    assert sorted(revoked) == sorted([gone_1.id, gone_2.id])
    assert [s.id for s in await repo.list_for_user(alice.id)] == [kept.id]
    for token in (token_1, token_2):
        stored = await repo.find_refresh_token(token.token_hash)
        assert stored is not None
        assert stored.revoked_at == clock.now()
    for token in (kept_token, bobs_token):
        assert await repo.find_refresh_token(token.token_hash) == token
    assert await repo.get(bobs.id) == bobs
    revoked_already = await repo.get(already.id)
    assert revoked_already is not None
    assert revoked_already.revoked_reason == "logout"


async def test_revoke_all_for_user_without_exception(
    repo: SessionRepository, alice: User, clock: FrozenClock
) -> None:
    one, _ = await _start(repo, alice, clock)
    two, _ = await _start(repo, alice, clock)

    revoked = await repo.revoke_all_for_user(alice.id, clock.now(), RevokeReason.LOGOUT_ALL)

    assert sorted(revoked) == sorted([one.id, two.id])
    assert await repo.list_for_user(alice.id) == []
    assert await repo.revoke_all_for_user(alice.id, clock.now(), RevokeReason.LOGOUT_ALL) == []

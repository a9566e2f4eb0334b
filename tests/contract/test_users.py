"""UserRepository contract: the same behaviour on the fake and every SQL backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.adapters.sql import Database, SqlUserRepository
from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.clock import FrozenClock
from tokenward.errors import EmailTaken, NotFound


@pytest.fixture
def repo(stores: Stores) -> UserRepository:
    return stores.users


async def test_add_then_get_and_get_by_email(repo: UserRepository, clock: FrozenClock) -> None:
    alice = records.user(clock.now(), email="alice@example.com", display_name="Alice")
    await repo.add(alice)

    assert await repo.get(alice.id) == alice
    assert await repo.get_by_email("alice@example.com") == alice
    assert await repo.get("no-such-id") is None
    assert await repo.get_by_email("bob@example.com") is None


async def test_lookup_by_email_uses_the_normalised_form(repo: UserRepository, clock: FrozenClock) -> None:
    alice = records.user(clock.now(), email="Alice@Example.COM")
    await repo.add(alice)

    found = await repo.get_by_email(" alice@example.com")
    assert found is not None
    assert found.id == alice.id
    assert found.email == "Alice@Example.COM"


async def test_timestamps_come_back_aware_utc_and_equal(db: Database) -> None:
    """A column type of the SQL backends: whatever zone goes in, UTC comes out."""
    repo = SqlUserRepository(db)
    created = datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)
    # an aware value in another zone is the same instant; it comes back in UTC
    changed = datetime(2026, 3, 5, 9, 0, 0, 1, tzinfo=timezone(timedelta(hours=2)))
    alice = records.user(created, password_changed_at=changed)
    await repo.add(alice)

    stored = await repo.get(alice.id)
    assert stored is not None
    for value in (stored.created_at, stored.updated_at, stored.password_changed_at):
        assert value is not None
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert stored.created_at == created
    assert stored.password_changed_at == changed


async def test_naive_datetimes_are_refused(db: Database) -> None:
    repo = SqlUserRepository(db)
    naive = datetime(2026, 1, 1, 12, 0)  # no tzinfo: the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        await repo.add(records.user(naive))


async def test_duplicate_email_raises_email_taken(repo: UserRepository, clock: FrozenClock) -> None:
    await repo.add(records.user(clock.now(), email="alice@example.com"))

    with pytest.raises(EmailTaken):
        await repo.add(records.user(clock.now(), email="alice@example.com"))
    # the normalised form is what is unique: case and surrounding space do not make a second account
    with pytest.raises(EmailTaken):
        await repo.add(records.user(clock.now(), email=" ALICE@example.com"))


async def test_duplicate_id_is_not_reported_as_email_taken(db: Database, clock: FrozenClock) -> None:
    repo = SqlUserRepository(db)
    alice = records.user(clock.now())
    await repo.add(alice)

    with pytest.raises(IntegrityError):
        await repo.add(records.user(clock.now(), id=alice.id))


async def test_update_writes_every_field(repo: UserRepository, clock: FrozenClock) -> None:
    alice = records.user(clock.now())
    await repo.add(alice)
    clock.advance(60)

    changed = alice.with_changes(
        email="alice.new@example.com",
        password_hash="$argon2id$new",
        email_verified=True,
        display_name="Alice N.",
        disabled=True,
        updated_at=clock.now(),
        password_changed_at=clock.now(),
    )
    await repo.update(changed)

    assert await repo.get(alice.id) == changed
    assert await repo.get_by_email("alice.new@example.com") == changed
    assert await repo.get_by_email(alice.email) is None


async def test_update_can_clear_optional_fields(repo: UserRepository, clock: FrozenClock) -> None:
    alice = records.user(clock.now(), display_name="Alice", password_changed_at=clock.now())
    await repo.add(alice)

    cleared = alice.with_changes(display_name=None, password_changed_at=None, password_hash=None)
    await repo.update(cleared)

    assert await repo.get(alice.id) == cleared


async def test_update_of_unknown_user_raises_not_found(repo: UserRepository, clock: FrozenClock) -> None:
    with pytest.raises(NotFound):
        await repo.update(records.user(clock.now()))


async def test_update_to_a_taken_email_raises_email_taken(repo: UserRepository, clock: FrozenClock) -> None:
    alice = records.user(clock.now(), email="alice@example.com")
    bob = records.user(clock.now(), email="bob@example.com")
    await repo.add(alice)
    await repo.add(bob)

    with pytest.raises(EmailTaken):
        await repo.update(bob.with_changes(email="ALICE@example.com"))
    assert await repo.get(bob.id) == bob

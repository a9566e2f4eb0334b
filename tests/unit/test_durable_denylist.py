"""The durable deny-list: the record is written first, the copy is trusted only while known to be complete.

The record and the copy are small in-memory fakes here, one of which can be made to fail like a dead
Redis; the adapters themselves are checked against a real database and Redis in tests/contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from tokenward.domain.clock import FrozenClock
from tokenward.domain.sessions.durable_denylist import SESSION, TOKEN, DenyEntry, DurableDenyList
from tokenward.errors import DependencyUnavailable


class FakeRecord:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], datetime] = {}
        self.reads = 0
        self.down = False

    async def add(self, entry: DenyEntry) -> None:
        self._answer()
        key = (entry.kind, entry.key)
        self.entries[key] = max(entry.until, self.entries.get(key, entry.until))

    async def is_denied(self, session_id: str, jti: str, now: datetime) -> bool:
        self._answer()
        self.reads += 1
        return any(self.entries.get(key, now) > now for key in ((SESSION, session_id), (TOKEN, jti)))

    async def in_force(self, now: datetime) -> list[DenyEntry]:
        self._answer()
        return [DenyEntry(kind, key, until) for (kind, key), until in self.entries.items() if until > now]

    def _answer(self) -> None:
        if self.down:
            raise DependencyUnavailable("The database")


class FakeCopy:
    """A Redis-like copy: it can be down, and it can lose everything (a restart without persistence)."""

    shared = True

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()
        self.filled = False
        self.down = False
        self.fills = 0

    async def add(self, entries: Sequence[DenyEntry]) -> None:
        self._answer()
        self.keys.update((entry.kind, entry.key) for entry in entries)

    async def lookup(self, session_id: str, jti: str) -> bool | None:
        self._answer()
        if not self.filled:
            return None
        return (SESSION, session_id) in self.keys or (TOKEN, jti) in self.keys

    async def fill(self, entries: Sequence[DenyEntry]) -> None:
        await self.add(entries)
        self.filled = True
        self.fills += 1

    def lose_everything(self) -> None:
        self.keys.clear()
        self.filled = False

    def _answer(self) -> None:
        if self.down:
            raise DependencyUnavailable("Redis")


class Ticks:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def record() -> FakeRecord:
    return FakeRecord()


@pytest.fixture
def copy() -> FakeCopy:
    return FakeCopy()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def deny_list(record: FakeRecord, copy: FakeCopy, clock: FrozenClock, ticks: Ticks) -> DurableDenyList:
    return DurableDenyList(record, copy, clock, refill_interval=1.0, monotonic=ticks)


def _soon(clock: FrozenClock) -> datetime:
    return clock.now() + timedelta(minutes=10)


async def test_a_revocation_is_recorded_then_copied(
    deny_list: DurableDenyList, record: FakeRecord, copy: FakeCopy, clock: FrozenClock
) -> None:
    await deny_list.deny_token("jti-1", _soon(clock))
    assert (TOKEN, "jti-1") in record.entries
    assert (TOKEN, "jti-1") in copy.keys


async def test_a_revocation_that_cannot_be_recorded_fails_and_is_not_copied(
    deny_list: DurableDenyList, record: FakeRecord, copy: FakeCopy, clock: FrozenClock
) -> None:
    record.down = True
    with pytest.raises(DependencyUnavailable):
        await deny_list.deny_session("s-1", _soon(clock))
    assert copy.keys == set()


async def test_the_copy_is_filled_before_it_is_trusted_and_then_alone_answers(
    deny_list: DurableDenyList, record: FakeRecord, copy: FakeCopy, clock: FrozenClock
) -> None:
    record.entries[(TOKEN, "revoked-before-start")] = _soon(clock)
    assert await deny_list.is_denied("s", "revoked-before-start") is True  # the record answers the first
    assert copy.fills == 1
    assert deny_list.trusted
    reads = record.reads
    assert await deny_list.is_denied("s", "revoked-before-start") is True
    assert await deny_list.is_denied("s", "other") is False
    assert record.reads == reads  # trusted: the copy alone answers


async def test_a_copy_that_lost_its_data_is_refilled_and_a_revocation_survives(
    deny_list: DurableDenyList, record: FakeRecord, copy: FakeCopy, clock: FrozenClock, ticks: Ticks
) -> None:
    """Attack: replay a revoked jti right after Redis restarted empty. The record still refuses it."""
    await deny_list.is_denied("s", "warm-up")
    await deny_list.deny_token("jti-1", _soon(clock))
    copy.lose_everything()

    assert await deny_list.is_denied("s", "jti-1") is True
    ticks.seconds += 1
    assert await deny_list.is_denied("s", "jti-1") is True
    assert (TOKEN, "jti-1") in copy.keys
    assert deny_list.trusted


async def test_while_the_copy_is_down_the_record_answers_and_writes_missed_are_refilled(
    deny_list: DurableDenyList, record: FakeRecord, copy: FakeCopy, clock: FrozenClock, ticks: Ticks
) -> None:
    await deny_list.is_denied("s", "warm-up")
    copy.down = True
    await deny_list.deny_token("jti-during", _soon(clock))  # recorded; the copy missed it
    assert await deny_list.is_denied("s", "jti-during") is True
    assert await deny_list.is_denied("s", "other") is False
    assert not deny_list.trusted

    copy.down = False  # back, with its data (a network cut): the marker is still there
    ticks.seconds += 1
    assert await deny_list.is_denied("s", "jti-during") is True
    assert (TOKEN, "jti-during") in copy.keys
    assert deny_list.trusted


async def test_refills_are_tried_at_most_once_per_interval(
    deny_list: DurableDenyList, copy: FakeCopy, ticks: Ticks
) -> None:
    copy.down = True
    for _ in range(50):
        assert await deny_list.is_denied("s", "j") is False
    copy.down = False
    assert copy.fills == 0
    ticks.seconds += 0.5
    await deny_list.is_denied("s", "j")
    assert copy.fills == 0
    ticks.seconds += 0.5
    await deny_list.is_denied("s", "j")
    assert copy.fills == 1


async def test_with_both_down_the_check_fails_rather_than_answer_not_denied(
    deny_list: DurableDenyList, record: FakeRecord, copy: FakeCopy
) -> None:
    record.down = copy.down = True
    with pytest.raises(DependencyUnavailable):
        await deny_list.is_denied("s", "j")


async def test_an_entry_already_over_is_not_written(
    deny_list: DurableDenyList, record: FakeRecord, clock: FrozenClock
) -> None:
    await deny_list.deny_token("old", clock.now() - timedelta(seconds=1))
    assert record.entries == {}

"""Leases, the key-rotation race and the clean-up queries, on the fakes, SQLite and PostgreSQL.

With several processes on one database exactly one may rotate keys or run the clean-up at a time (T-LIF-07).
Lease names are unique per test: the PostgreSQL contract database is shared by the session's tests.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import timedelta

import pytest

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.model import KeyState
from tokenward.domain.keys.rotation import KeyService, RotationPolicy
from tokenward.domain.leases import Leases

CONCURRENT_PROCESSES = 8


def lease_name() -> str:
    return f"test-{secrets.token_hex(6)}"


async def test_one_holder_at_a_time_until_release_or_expiry(stores: Stores, clock: FrozenClock) -> None:
    repo = stores.leases
    name = lease_name()
    until = clock.now() + timedelta(minutes=1)

    assert await repo.acquire(name, "a", clock.now(), until) is True
    assert await repo.acquire(name, "b", clock.now(), until) is False
    assert await repo.acquire(name, "a", clock.now(), until) is True  # the holder may extend it

    await repo.release(name, "b")  # not b's to release
    assert await repo.acquire(name, "b", clock.now(), until) is False
    await repo.release(name, "a")
    assert await repo.acquire(name, "b", clock.now(), until) is True


async def test_an_expired_lease_can_be_taken_over(stores: Stores, clock: FrozenClock) -> None:
    """A holder that died frees the lease when it runs out."""
    repo = stores.leases
    name = lease_name()
    assert await repo.acquire(name, "dead", clock.now(), clock.now() + timedelta(minutes=1))
    clock.advance(60)
    assert await repo.acquire(name, "alive", clock.now(), clock.now() + timedelta(minutes=1)) is True


@pytest.mark.threat("T-LIF-07")
async def test_concurrent_acquirers_get_exactly_one_lease(stores: Stores, clock: FrozenClock) -> None:
    repo = stores.leases
    name = lease_name()
    until = clock.now() + timedelta(minutes=1)

    results = await asyncio.gather(
        *(repo.acquire(name, f"process-{i}", clock.now(), until) for i in range(CONCURRENT_PROCESSES))
    )

    assert sorted(results) == [False] * (CONCURRENT_PROCESSES - 1) + [True]


@pytest.mark.threat("T-LIF-07")
async def test_processes_racing_the_rotation_step_create_exactly_one_next_key(
    stores: Stores, clock: FrozenClock
) -> None:
    encryptor = KeyEncryptor(os.urandom(32))
    policy = RotationPolicy(interval=timedelta(days=30), publish_ahead=timedelta(days=1))

    def process() -> KeyService:
        return KeyService(
            stores.keys,
            encryptor,
            clock,
            AuditTrail([], clock),
            "ES256",
            policy=policy,
            leases=Leases(stores.leases, clock),
        )

    await process().ensure_active_key()
    clock.advance(timedelta(days=29, seconds=1).total_seconds())

    await asyncio.gather(*(process().scheduled_step() for _ in range(CONCURRENT_PROCESSES)))

    states = sorted(k.state.value for k in await stores.keys.list_keys())
    assert states == ["active", "next"]


@pytest.mark.threat("T-LIF-07")
async def test_a_conditional_transition_has_one_winner(stores: Stores, clock: FrozenClock) -> None:
    """Even without the lease, two processes cannot both promote the same NEXT key."""
    repo = stores.keys
    key = records.signing_key(clock.now(), state=KeyState.NEXT)
    await repo.add(key)

    results = await asyncio.gather(
        *(repo.set_state(key.kid, KeyState.ACTIVE, clock.now(), expected=KeyState.NEXT) for _ in range(4))
    )

    assert sorted(results) == [False, False, False, True]


@pytest.mark.threat("T-LIF-08")
async def test_clean_up_deletes_ended_sessions_and_old_refresh_hashes(
    stores: Stores, clock: FrozenClock
) -> None:
    sessions = stores.sessions
    user = records.user(clock.now())
    await stores.users.add(user)
    now = clock.now()
    day = timedelta(days=1)
    kept = records.session(user.id, now)
    past_absolute = records.session(user.id, now - 31 * day, expires_at=now - day, last_used_at=now - day)
    idle = records.session(user.id, now - 20 * day, last_used_at=now - 15 * day)
    revoked_long_ago = records.session(
        user.id, now - 9 * day, revoked_at=now - 8 * day, revoked_reason="logout"
    )
    revoked_recently = records.session(user.id, now - 2 * day, revoked_at=now - day, revoked_reason="logout")
    for session in (kept, past_absolute, idle, revoked_long_ago, revoked_recently):
        await sessions.create(session, records.refresh_token(session, session.created_at))
    refreshed_often = records.session(user.id, now - 29 * day, last_used_at=now, expires_at=now + day)
    old_hash = records.refresh_token(
        refreshed_often, now - 30 * day, expires_at=now - 8 * day, rotated_at=now - 20 * day
    )
    await sessions.create(refreshed_often, old_hash)

    deleted = await sessions.delete_ended(now=now, idle_before=now - 14 * day, revoked_before=now - 7 * day)
    expired = await sessions.delete_expired_refresh_tokens(now - 7 * day)

    assert deleted == 3
    assert expired == 1
    remaining = {s.id for s in await sessions.list_for_user(user.id, active_only=False)}
    assert remaining == {kept.id, revoked_recently.id, refreshed_often.id}
    assert await sessions.find_refresh_token(old_hash.token_hash) is None

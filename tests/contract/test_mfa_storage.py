"""MFA, one-time-token and known-device storage on the fakes, SQLite and PostgreSQL: single use holds under
races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract.conftest import Stores
from tokenward.domain.accounts.users import User
from tokenward.domain.email.model import OneTimeTokenRecord, Sighting
from tokenward.domain.mfa import MfaChallenge, MfaRepository, TotpFactor

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def _user(stores: Stores, user_id: str = "u1") -> str:
    await stores.users.add(
        User(id=user_id, email=f"{user_id}@example.com", password_hash="x", created_at=NOW, updated_at=NOW)
    )
    return user_id


async def _active_factor(repo: MfaRepository, user_id: str) -> TotpFactor:
    factor = TotpFactor(id="f1", user_id=user_id, encrypted_secret=b"sealed", created_at=NOW)
    await repo.save_pending_totp(factor)
    assert await repo.activate_totp("f1", 100, NOW, ["h1", "h2"])
    active = await repo.active_totp(user_id)
    assert active is not None
    assert active.last_step == 100
    return active


async def test_a_time_step_is_claimed_once_even_by_parallel_requests(stores: Stores) -> None:
    repo = stores.mfa
    factor = await _active_factor(repo, await _user(stores))
    assert not await repo.claim_totp_step(factor.id, 100)  # the confirming step is already used
    results = await asyncio.gather(*(repo.claim_totp_step(factor.id, 101) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert not await repo.claim_totp_step(factor.id, 99)


async def test_recovery_codes_are_single_use_and_replaced_as_a_set(stores: Stores) -> None:
    repo = stores.mfa
    user_id = await _user(stores)
    await _active_factor(repo, user_id)
    results = await asyncio.gather(*(repo.use_recovery_code(user_id, "h1", NOW) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert await repo.unused_recovery_codes(user_id) == 1
    await repo.replace_recovery_codes(user_id, ["h3"], NOW)
    assert not await repo.use_recovery_code(user_id, "h2", NOW)
    assert await repo.remove_totp(user_id)
    assert await repo.active_totp(user_id) is None
    assert await repo.unused_recovery_codes(user_id) == 0


async def test_one_time_tokens_are_used_once_for_their_purpose_only(stores: Stores) -> None:
    repo = stores.one_time_tokens
    user_id = await _user(stores)
    record = OneTimeTokenRecord(
        token_hash="t1",
        purpose="password_reset",
        user_id=user_id,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
    )
    await repo.add(record)
    assert await repo.consume("t1", "email_verification", NOW) is None
    assert await repo.consume("t1", "password_reset", NOW + timedelta(minutes=31)) is None
    results = await asyncio.gather(*(repo.consume("t1", "password_reset", NOW) for _ in range(6)))
    assert sum(r is not None for r in results) == 1
    assert await repo.find("t1", "password_reset", NOW) is None


async def test_a_device_is_new_once_and_the_first_one_is_named(stores: Stores) -> None:
    repo = stores.devices
    user_id = await _user(stores)
    other_user = await _user(stores, "u-other-devices")
    assert await repo.remember(user_id, "fp", NOW) is Sighting.FIRST
    assert await repo.remember(user_id, "fp", NOW) is Sighting.KNOWN
    assert await repo.remember(user_id, "fp2", NOW) is Sighting.NEW
    assert await repo.remember(user_id, "fp2", NOW) is Sighting.KNOWN
    # another account's devices are its own
    assert await repo.remember(other_user, "fp", NOW) is Sighting.FIRST


async def test_concurrent_sign_ins_from_one_new_device_record_it_once(stores: Stores) -> None:
    repo = stores.devices
    user_id = await _user(stores)
    await repo.remember(user_id, "fp-old", NOW)
    sightings = await asyncio.gather(*(repo.remember(user_id, "fp-new", NOW) for _ in range(8)))
    assert sorted(sightings) == sorted([Sighting.NEW] + [Sighting.KNOWN] * 7)


@pytest.mark.threat("T-LIF-08")
async def test_expired_single_use_tokens_and_challenges_are_deleted_live_ones_kept(stores: Stores) -> None:
    tokens = stores.one_time_tokens
    mfa = stores.mfa_challenges
    user_id = await _user(stores, "u-expiry")
    for name, lifetime in (("old", timedelta(minutes=-1)), ("live", timedelta(minutes=30))):
        await tokens.add(
            OneTimeTokenRecord(
                token_hash=f"tok-{name}",
                purpose="password_reset",
                user_id=user_id,
                created_at=NOW - timedelta(hours=1),
                expires_at=NOW + lifetime,
            )
        )
        await mfa.add_challenge(
            MfaChallenge(
                token_hash=f"ch-{name}",
                user_id=user_id,
                created_at=NOW - timedelta(hours=1),
                expires_at=NOW + lifetime,
            )
        )
    assert await tokens.delete_expired(NOW) == 1
    assert await mfa.delete_expired_challenges(NOW) == 1
    assert await tokens.find("tok-live", "password_reset", NOW) is not None
    assert await mfa.get_challenge("ch-live") is not None
    assert await mfa.get_challenge("ch-old") is None


async def test_a_new_enrolment_replaces_the_pending_one_and_activation_drops_the_others(
    stores: Stores,
) -> None:
    repo = stores.mfa
    user_id = await _user(stores)
    first = TotpFactor(id="f1", user_id=user_id, encrypted_secret=b"one", created_at=NOW)
    second = TotpFactor(
        id="f2", user_id=user_id, encrypted_secret=b"two", created_at=NOW + timedelta(seconds=1)
    )
    await repo.save_pending_totp(first)
    await repo.save_pending_totp(second)
    assert await repo.pending_totp(user_id) == second
    assert not await repo.activate_totp("f1", 7, NOW, ["h1"])  # replaced: no longer pending

    assert await repo.activate_totp("f2", 7, NOW, ["h1"])
    assert not await repo.activate_totp("f2", 8, NOW, ["h2"])  # confirmed once only
    assert await repo.active_totp(user_id) == TotpFactor(
        id="f2",
        user_id=user_id,
        encrypted_secret=b"two",
        created_at=second.created_at,
        confirmed_at=NOW,
        last_step=7,
    )
    assert await repo.pending_totp(user_id) is None

    # a new app while MFA is on: the old factor protects the account until the new one is confirmed
    third = TotpFactor(
        id="f3", user_id=user_id, encrypted_secret=b"three", created_at=NOW + timedelta(seconds=2)
    )
    await repo.save_pending_totp(third)
    active = await repo.active_totp(user_id)
    assert active is not None
    assert active.id == "f2"
    assert await repo.activate_totp("f3", 9, NOW, ["h3"])
    assert [f.id for f in await repo.all_totp_factors()] == ["f3"]
    assert await repo.unused_recovery_codes(user_id) == 1
    assert not await repo.use_recovery_code(user_id, "h1", NOW)


async def test_secrets_are_replaced_for_rewrapping(stores: Stores) -> None:
    repo = stores.mfa
    factor = await _active_factor(repo, await _user(stores))

    await repo.replace_encrypted_secrets({factor.id: b"rewrapped"})

    assert [f.encrypted_secret for f in await repo.all_totp_factors()] == [b"rewrapped"]
    assert await repo.active_totp(factor.user_id) == TotpFactor(
        id=factor.id,
        user_id=factor.user_id,
        encrypted_secret=b"rewrapped",
        created_at=factor.created_at,
        confirmed_at=factor.confirmed_at,
        last_step=factor.last_step,
    )


async def test_a_challenge_counts_failures_and_is_used_once_below_the_limit(stores: Stores) -> None:
    repo = stores.mfa_challenges
    user_id = await _user(stores)
    challenge = MfaChallenge(
        token_hash="ch",
        user_id=user_id,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=5),
        ip="203.0.113.9",
    )
    await repo.add_challenge(challenge)
    assert await repo.get_challenge("ch") == challenge

    assert [await repo.count_challenge_failure("ch") for _ in range(2)] == [1, 2]
    assert await repo.count_challenge_failure("no-such-challenge") == 0
    assert not await repo.consume_challenge("ch", NOW, max_failures=2)
    results = await asyncio.gather(*(repo.consume_challenge("ch", NOW, max_failures=3) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]

    stored = await repo.get_challenge("ch")
    assert stored is not None
    assert (stored.failed_attempts, stored.used_at) == (2, NOW)


async def test_discarding_ends_the_unused_tokens_of_one_user_and_purpose_only(stores: Stores) -> None:
    repo = stores.one_time_tokens
    alice, bob = await _user(stores, "alice"), await _user(stores, "bob")
    for token_hash, purpose, user_id in (
        ("reset-1", "password_reset", alice),
        ("reset-2", "password_reset", alice),
        ("verify", "email_verification", alice),
        ("bobs", "password_reset", bob),
    ):
        await repo.add(
            OneTimeTokenRecord(
                token_hash=token_hash,
                purpose=purpose,
                user_id=user_id,
                created_at=NOW,
                expires_at=NOW + timedelta(minutes=30),
                email=f"{user_id}@example.com",
            )
        )

    assert await repo.discard_for_user(alice, "password_reset", NOW) == 2
    assert await repo.discard_for_user(alice, "password_reset", NOW) == 0

    assert await repo.find("reset-1", "password_reset", NOW) is None
    assert await repo.consume("reset-2", "password_reset", NOW) is None
    found = await repo.find("verify", "email_verification", NOW)
    assert found is not None
    assert found.email == "alice@example.com"
    used = await repo.consume("bobs", "password_reset", NOW + timedelta(minutes=1))
    assert used is not None
    assert used.used_at == NOW + timedelta(minutes=1)

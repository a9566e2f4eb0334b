"""MFA, one-time-token and known-device storage on SQLite and PostgreSQL: single use holds under races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tokenward.adapters.sql import Database, SqlUserRepository
from tokenward.adapters.sql.devices import SqlKnownDeviceRepository
from tokenward.adapters.sql.mfa import SqlMfaRepository
from tokenward.adapters.sql.one_time_tokens import SqlOneTimeTokenRepository
from tokenward.domain.accounts.users import User
from tokenward.domain.email.one_time_tokens import OneTimeTokenRecord
from tokenward.domain.mfa import TotpFactor

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def _user(db: Database, user_id: str = "u1") -> str:
    await SqlUserRepository(db).add(
        User(id=user_id, email=f"{user_id}@example.com", password_hash="x", created_at=NOW, updated_at=NOW)
    )
    return user_id


async def _active_factor(repo: SqlMfaRepository, user_id: str) -> TotpFactor:
    factor = TotpFactor(id="f1", user_id=user_id, encrypted_secret=b"sealed", created_at=NOW)
    await repo.save_pending_totp(factor)
    assert await repo.activate_totp("f1", 100, NOW, ["h1", "h2"])
    active = await repo.active_totp(user_id)
    assert active is not None
    assert active.last_step == 100
    return active


async def test_a_time_step_is_claimed_once_even_by_parallel_requests(db: Database) -> None:
    repo = SqlMfaRepository(db)
    factor = await _active_factor(repo, await _user(db))
    assert not await repo.claim_totp_step(factor.id, 100)  # the confirming step is already used
    results = await asyncio.gather(*(repo.claim_totp_step(factor.id, 101) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert not await repo.claim_totp_step(factor.id, 99)


async def test_recovery_codes_are_single_use_and_replaced_as_a_set(db: Database) -> None:
    repo = SqlMfaRepository(db)
    user_id = await _user(db)
    await _active_factor(repo, user_id)
    results = await asyncio.gather(*(repo.use_recovery_code(user_id, "h1", NOW) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert await repo.unused_recovery_codes(user_id) == 1
    await repo.replace_recovery_codes(user_id, ["h3"], NOW)
    assert not await repo.use_recovery_code(user_id, "h2", NOW)
    assert await repo.remove_totp(user_id)
    assert await repo.active_totp(user_id) is None
    assert await repo.unused_recovery_codes(user_id) == 0


async def test_one_time_tokens_are_used_once_for_their_purpose_only(db: Database) -> None:
    repo = SqlOneTimeTokenRepository(db)
    user_id = await _user(db)
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


async def test_a_device_is_new_once(db: Database) -> None:
    repo = SqlKnownDeviceRepository(db)
    user_id = await _user(db)
    assert not await repo.has_any(user_id)
    assert await repo.remember(user_id, "fp", NOW)
    assert not await repo.remember(user_id, "fp", NOW)
    assert await repo.has_any(user_id)


@pytest.mark.threat("T-LIF-08")
async def test_expired_single_use_tokens_and_challenges_are_deleted_live_ones_kept(db: Database) -> None:
    from tokenward.domain.mfa import MfaChallenge

    tokens = SqlOneTimeTokenRepository(db)
    mfa = SqlMfaRepository(db)
    user_id = await _user(db, "u-expiry")
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

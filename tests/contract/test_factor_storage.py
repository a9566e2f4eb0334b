"""Passkey and one-time-code storage on the fakes, SQLite and PostgreSQL: challenges and codes are taken once
under races, sign counters move once, and an enrolment is all or nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.contract.conftest import Stores
from tokenward.adapters.sql import Database
from tokenward.adapters.sql.mfa import SqlMfaRepository
from tokenward.domain.accounts.users import User
from tokenward.domain.mfa.factor_index import FactorIndexOfThreeReads
from tokenward.domain.mfa.model import (
    Ceremony,
    Channel,
    CodePurpose,
    OtpChallenge,
    OtpFactor,
    Passkey,
    TotpFactor,
    WebAuthnChallenge,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


async def _user(stores: Stores, user_id: str = "u1") -> str:
    await stores.users.add(
        User(id=user_id, email=f"{user_id}@example.com", password_hash="x", created_at=NOW, updated_at=NOW)
    )
    return user_id


def _passkey(user_id: str, credential_id: str = "cred-1", sign_count: int = 0) -> Passkey:
    return Passkey(
        credential_id=credential_id,
        user_id=user_id,
        user_handle="handle",
        public_key=b"\xa5cose",
        sign_count=sign_count,
        transports=("internal", "hybrid"),
        name="Laptop",
        created_at=NOW,
    )


def _code(user_id: str, challenge_id: str, *, binding: str | None = None, at: datetime = NOW) -> OtpChallenge:
    return OtpChallenge(
        id=challenge_id,
        user_id=user_id,
        channel=Channel.SMS,
        purpose=CodePurpose.SIGN_IN if binding else CodePurpose.ENROL,
        destination="+16502530001",
        code_hash=f"hash-{challenge_id}",
        created_at=at,
        expires_at=at + timedelta(minutes=5),
        binding=binding,
    )


async def test_a_credential_belongs_to_one_account_and_round_trips(stores: Stores) -> None:
    repo = stores.passkeys
    alice, bob = await _user(stores, "alice"), await _user(stores, "bob")
    assert await repo.add_passkey(_passkey(alice))
    assert not await repo.add_passkey(_passkey(bob))
    assert await repo.passkey("cred-1") == _passkey(alice)
    assert not await repo.rename_passkey(bob, "cred-1", "Stolen")
    assert not await repo.delete_passkey(bob, "cred-1")
    assert await repo.rename_passkey(alice, "cred-1", "Work laptop")
    assert [p.name for p in await repo.passkeys_of(alice)] == ["Work laptop"]
    assert await repo.delete_passkey(alice, "cred-1")
    assert await repo.passkeys_of(alice) == []


async def test_the_sign_counter_moves_once_from_the_value_that_was_read(stores: Stores) -> None:
    repo = stores.passkeys
    await repo.add_passkey(_passkey(await _user(stores), sign_count=4))
    results = await asyncio.gather(*(repo.advance_sign_count("cred-1", 4, 5, LATER) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    stored = await repo.passkey("cred-1")
    assert stored is not None
    assert (stored.sign_count, stored.last_used_at) == (5, LATER)


async def test_a_webauthn_challenge_is_taken_once(stores: Stores) -> None:
    repo = stores.passkeys
    user_id = await _user(stores)
    challenge = WebAuthnChallenge(
        challenge_hash="h1",
        ceremony=Ceremony.SECOND_FACTOR,
        created_at=NOW,
        expires_at=LATER,
        user_id=user_id,
        binding="mfa-token-hash",
    )
    await repo.add_webauthn_challenge(challenge)
    taken = await asyncio.gather(*(repo.take_webauthn_challenge("h1", NOW) for _ in range(6)))
    winners = [t for t in taken if t is not None]
    assert len(winners) == 1
    assert winners[0].ceremony is Ceremony.SECOND_FACTOR
    assert (winners[0].user_id, winners[0].binding, winners[0].used_at) == (user_id, "mfa-token-hash", NOW)
    assert await repo.take_webauthn_challenge("unknown", NOW) is None
    assert await repo.delete_expired_webauthn_challenges(LATER + timedelta(seconds=1)) == 1


async def test_a_code_is_used_once_and_a_new_one_voids_the_old(stores: Stores) -> None:
    repo = stores.otp
    user_id = await _user(stores)
    await repo.add_otp_challenge(_code(user_id, "c1", binding="b"))
    await repo.add_otp_challenge(_code(user_id, "c2", binding="b", at=NOW + timedelta(seconds=1)))
    live = await repo.live_otp_challenge(user_id, Channel.SMS, CodePurpose.SIGN_IN, "b", NOW)
    assert live is not None
    assert live.id == "c2"
    assert await repo.live_otp_challenge(user_id, Channel.SMS, CodePurpose.SIGN_IN, "other", NOW) is None
    assert not await repo.use_otp_challenge("c1", NOW, 5)  # voided by c2
    results = await asyncio.gather(*(repo.use_otp_challenge("c2", NOW, 5) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert await repo.live_otp_challenge(user_id, Channel.SMS, CodePurpose.SIGN_IN, "b", NOW) is None


async def test_failures_are_counted_and_end_the_code(stores: Stores) -> None:
    repo = stores.otp
    user_id = await _user(stores)
    await repo.add_otp_challenge(_code(user_id, "c1"))
    counts = [await repo.count_otp_failure("c1") for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5]
    assert not await repo.use_otp_challenge("c1", NOW, 5)
    assert await repo.live_otp_challenge(user_id, Channel.SMS, CodePurpose.ENROL, None, LATER) is None


async def test_an_enrolment_uses_its_code_and_stores_the_factor_together(stores: Stores) -> None:
    repo = stores.otp
    user_id = await _user(stores)
    await repo.add_otp_challenge(_code(user_id, "c1"))
    factor = OtpFactor(
        id="f1", user_id=user_id, channel=Channel.SMS, destination="+16502530001", created_at=NOW
    )
    results = await asyncio.gather(*(repo.save_otp_factor(factor, "c1", NOW, 5) for _ in range(4)))
    assert sorted(results) == [False] * 3 + [True]
    assert [f.destination for f in await repo.otp_factors_of(user_id)] == ["+16502530001"]

    await repo.add_otp_challenge(_code(user_id, "c2"))
    for _ in range(5):
        await repo.count_otp_failure("c2")
    replacement = OtpFactor(
        id="f2", user_id=user_id, channel=Channel.SMS, destination="+16502530002", created_at=NOW
    )
    assert not await repo.save_otp_factor(replacement, "c2", NOW, 5)
    assert [f.id for f in await repo.otp_factors_of(user_id)] == ["f1"]
    assert await repo.delete_otp_factor(user_id, Channel.SMS)
    assert not await repo.delete_otp_factor(user_id, Channel.SMS)


async def test_the_factor_index_answers_as_the_three_reads_it_replaces(db: Database) -> None:
    stores = Stores.sql(db, "postgres" if db.is_postgresql else "sqlite")
    index = SqlMfaRepository(db)
    # the reference: the three reads the index replaces on the sign-in path (what the fakes' stores use)
    three_reads = FactorIndexOfThreeReads(stores.mfa, stores.passkeys, stores.otp)
    user_id, other = await _user(stores), await _user(stores, "other")
    seen = []

    async def check() -> None:
        kinds = await index.factor_kinds(user_id)
        assert kinds == await three_reads.factor_kinds(user_id)
        seen.append(kinds)

    await check()
    # an app not yet confirmed is no factor
    await stores.mfa.save_pending_totp(
        TotpFactor(id="t1", user_id=user_id, encrypted_secret=b"s", created_at=NOW)
    )
    await check()
    assert await stores.mfa.activate_totp("t1", 100, NOW, ["h1"])
    await check()
    for credential in ("cred-1", "cred-2"):
        assert await stores.passkeys.add_passkey(_passkey(user_id, credential))
    await check()
    for channel, destination in ((Channel.SMS, "+16502530001"), (Channel.EMAIL, "u1@example.com")):
        challenge = replace(_code(user_id, f"c-{channel.value}"), channel=channel, destination=destination)
        await stores.otp.add_otp_challenge(challenge)
        factor = OtpFactor(
            id=f"f-{channel.value}", user_id=user_id, channel=channel, destination=destination, created_at=NOW
        )
        assert await stores.otp.save_otp_factor(factor, challenge.id, NOW, 5)
        await check()
    assert seen == [
        frozenset(),
        frozenset(),
        frozenset({"totp"}),
        frozenset({"totp", "webauthn"}),
        frozenset({"totp", "webauthn", "sms"}),
        frozenset({"totp", "webauthn", "sms", "email"}),
    ]
    # another user's factors are not this user's
    assert await index.factor_kinds(other) == frozenset()

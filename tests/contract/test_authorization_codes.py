"""AuthorizationCodeRepository contract: a code is used once (of racing redemptions exactly one wins), a
replay is recorded once, and expired codes are cleaned up, on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import timedelta

import pytest

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.domain.clients import Client, ClientType
from tokenward.domain.clock import FrozenClock
from tokenward.domain.oidc.codes import CODE_LIFETIME, AuthorizationCode, hash_code, new_code

CONCURRENT_REDEMPTIONS = 20


async def _stored_code(stores: Stores, clock: FrozenClock) -> AuthorizationCode:
    user = records.user(clock.now())
    await stores.users.add(user)
    client_id = f"twc-{secrets.token_hex(6)}"
    await stores.clients.add(
        Client(id=client_id, name="app", type=ClientType.PUBLIC, secret_hash=None, created_at=clock.now())
    )
    code = AuthorizationCode(
        code_hash=hash_code(new_code()),
        client_id=client_id,
        user_id=user.id,
        browser_session_id=str(uuid.uuid4()),
        redirect_uri="https://app.example/cb",
        scope="email openid",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        nonce="n-1",
        auth_time=clock.now(),
        amr=("pwd", "otp"),
        created_at=clock.now(),
        expires_at=clock.now() + CODE_LIFETIME,
    )
    await stores.authorization_codes.add(code)
    return code


async def test_the_first_consume_uses_the_code_and_names_the_session(
    stores: Stores, clock: FrozenClock
) -> None:
    codes = stores.authorization_codes
    code = await _stored_code(stores, clock)

    first = await codes.consume(code.code_hash, clock.now(), "session-1")
    second = await codes.consume(code.code_hash, clock.now(), "session-2")

    assert first is not None
    assert second is not None
    assert first.first_use is True
    assert second.first_use is False
    assert first.code.token_session_id == second.code.token_session_id == "session-1"
    assert first.code.used_at == clock.now()
    assert await codes.get(code.code_hash) == first.code
    assert await codes.consume(hash_code(new_code()), clock.now(), "session-3") is None


@pytest.mark.threat("T-OIDC-03")
async def test_of_racing_redemptions_exactly_one_wins(stores: Stores, clock: FrozenClock) -> None:
    codes = stores.authorization_codes
    code = await _stored_code(stores, clock)

    redemptions = await asyncio.gather(
        *(codes.consume(code.code_hash, clock.now(), f"session-{n}") for n in range(CONCURRENT_REDEMPTIONS))
    )

    winners = [r for r in redemptions if r is not None and r.first_use]
    assert len(winners) == 1
    stored = await codes.get(code.code_hash)
    assert stored is not None
    assert stored.token_session_id == winners[0].code.token_session_id


async def test_a_replay_is_recorded_once(stores: Stores, clock: FrozenClock) -> None:
    codes = stores.authorization_codes
    code = await _stored_code(stores, clock)
    assert (await codes.get(code.code_hash)) == code
    first_replay = clock.now()

    await codes.mark_replayed(code.code_hash, first_replay)
    clock.advance(5)
    await codes.mark_replayed(code.code_hash, clock.now())
    await codes.mark_replayed(hash_code(new_code()), clock.now())  # an unknown code: nothing to mark

    stored = await codes.get(code.code_hash)
    assert stored is not None
    assert stored.replayed_at == first_replay


async def test_expired_codes_are_deleted_used_or_not(stores: Stores, clock: FrozenClock) -> None:
    codes = stores.authorization_codes
    used = await _stored_code(stores, clock)
    await codes.consume(used.code_hash, clock.now(), "session-1")
    unused = await _stored_code(stores, clock)
    clock.advance(30)
    fresh = await _stored_code(stores, clock)

    deleted = await codes.delete_expired(clock.now() + timedelta(seconds=CODE_LIFETIME.seconds - 10))

    assert deleted == 2
    assert await codes.get(used.code_hash) is None
    assert await codes.get(unused.code_hash) is None
    assert await codes.get(fresh.code_hash) == fresh

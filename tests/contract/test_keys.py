"""KeyRepository contract: signing keys, their states and re-encryption."""

from __future__ import annotations

import secrets

import pytest

from tests.contract import records
from tests.contract.conftest import Stores
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.model import KeyState
from tokenward.domain.keys.ports import KeyRepository
from tokenward.errors import NotFound


@pytest.fixture
def repo(stores: Stores) -> KeyRepository:
    return stores.keys


async def test_add_and_list_oldest_first(repo: KeyRepository, clock: FrozenClock) -> None:
    assert await repo.list_keys() == []
    first = records.signing_key(clock.now(), kid="b-first")
    clock.advance(60)
    second = records.signing_key(clock.now(), kid="a-second", alg="Ed25519", state=KeyState.ACTIVE)

    await repo.add(second)
    await repo.add(first)

    assert await repo.list_keys() == [first, second]


async def test_record_round_trips_exactly(repo: KeyRepository, clock: FrozenClock) -> None:
    key = records.signing_key(
        clock.now(),
        alg="RS256",
        state=KeyState.RETIRED,
        public_jwk={"kty": "RSA", "n": "sXch", "e": "AQAB", "kid": "k", "alg": "RS256", "use": "sig"},
        encrypted_private_key=bytes(range(256)),
        activated_at=clock.now(),
        retired_at=clock.now(),
    )
    await repo.add(key)

    (stored,) = await repo.list_keys()
    assert stored == key
    assert isinstance(stored.encrypted_private_key, bytes)
    assert isinstance(stored.state, KeyState)


async def test_set_state_records_the_transition_times(repo: KeyRepository, clock: FrozenClock) -> None:
    key = records.signing_key(clock.now())
    await repo.add(key)

    clock.advance(3600)
    activated = clock.now()
    await repo.set_state(key.kid, KeyState.ACTIVE, activated)
    (stored,) = await repo.list_keys()
    assert (stored.state, stored.activated_at, stored.retired_at) == (KeyState.ACTIVE, activated, None)

    clock.advance(3600)
    await repo.set_state(key.kid, KeyState.RETIRED, clock.now())
    (stored,) = await repo.list_keys()
    assert (stored.state, stored.activated_at, stored.retired_at) == (
        KeyState.RETIRED,
        activated,
        clock.now(),
    )

    clock.advance(60)
    await repo.set_state(key.kid, KeyState.REVOKED, clock.now())
    (stored,) = await repo.list_keys()
    assert (stored.state, stored.retired_at) == (KeyState.REVOKED, clock.now())


async def test_set_state_of_unknown_key_raises_not_found(repo: KeyRepository, clock: FrozenClock) -> None:
    with pytest.raises(NotFound):
        await repo.set_state("no-such-kid", KeyState.ACTIVE, clock.now())


async def test_replace_encrypted_private_key(repo: KeyRepository, clock: FrozenClock) -> None:
    key = records.signing_key(clock.now())
    other = records.signing_key(clock.now())
    await repo.add(key)
    await repo.add(other)
    rewrapped = secrets.token_bytes(80)

    await repo.replace_encrypted_private_key(key.kid, rewrapped)

    stored = {k.kid: k for k in await repo.list_keys()}
    assert stored[key.kid].encrypted_private_key == rewrapped
    assert stored[key.kid].public_jwk == key.public_jwk
    assert stored[other.kid] == other
    with pytest.raises(NotFound):
        await repo.replace_encrypted_private_key("no-such-kid", rewrapped)

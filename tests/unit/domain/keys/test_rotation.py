"""Signing-key rotation with a frozen clock: NEXT -> ACTIVE -> RETIRED -> removed, revoke, rewrap, rotate now."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.fakes import FakeAuditRepository, FakeKeyRepository
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.model import KeyState
from tokenward.domain.keys.ring import KeyRingHolder
from tokenward.domain.keys.rotation import KeyService, RotationPolicy
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)
from tokenward.errors import InvalidToken, NotFound

ISSUER = "https://auth.example.test"
AUDIENCE = "api.example.test"
POLICY = RotationPolicy(
    interval=timedelta(days=30), publish_ahead=timedelta(hours=24), retain_retired=timedelta(minutes=16)
)
TOKEN_LIFETIME = 600


class World:
    """A key service, this process's key ring, an issuer and a verifier, all on one frozen clock."""

    def __init__(self) -> None:
        self.clock = FrozenClock()
        self.repository = FakeKeyRepository()
        self.audit = FakeAuditRepository()
        self.encryptor = KeyEncryptor(os.urandom(32))
        self.keys = KeyService(
            self.repository,
            self.encryptor,
            self.clock,
            AuditTrail([self.audit], self.clock),
            "ES256",
            policy=POLICY,
        )
        self.holder: KeyRingHolder

    async def start(self) -> World:
        self.holder = KeyRingHolder(self.keys, await self.keys.ensure_active_key(), self.clock)
        self.issuer = AccessTokenIssuer(
            lambda: self.holder.ring, AccessTokenSettings(ISSUER, (AUDIENCE,), TOKEN_LIFETIME), self.clock
        )
        self.verifier = AccessTokenVerifier(
            lambda kid: self.holder.ring.verification_key(kid),
            VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})),
            self.clock,
        )
        return self

    def token(self) -> str:
        return self.issuer.issue(
            subject="user", session_id="session", scope="openid", amr=("pwd",), auth_time=self.clock.now()
        ).token

    async def state_of(self, kid: str) -> KeyState | None:
        return next((k.state for k in await self.repository.list_keys() if k.kid == kid), None)

    async def audit_types(self) -> list[str]:
        return [event.type for event in await self.audit.list_events()]

    def published(self) -> set[str]:
        return {jwk["kid"] for jwk in self.holder.ring.jwks()["keys"]}

    async def step(self, after: timedelta) -> list[str]:
        self.clock.set(self.clock.now() + after)
        done = await self.keys.scheduled_step()
        await self.holder.reload()
        return done


@pytest.fixture
async def world() -> World:
    return await World().start()


async def test_nothing_happens_before_the_key_nears_its_rotation(world: World) -> None:
    assert await world.step(timedelta(days=28)) == []
    assert [k.state for k in await world.repository.list_keys()] == [KeyState.ACTIVE]


@pytest.mark.threat("T-LIF-06")
async def test_the_next_key_is_published_a_day_before_it_signs(world: World) -> None:
    first = world.holder.ring.active_kid
    done = await world.step(timedelta(days=29))
    assert len(done) == 1
    assert done[0].startswith("created next ")
    next_kid = done[0].removeprefix("created next ")

    assert world.published() == {first, next_kid}
    assert world.holder.ring.signing_key.kid == first  # published, not yet signing

    assert await world.step(timedelta(hours=23)) == []
    assert world.holder.ring.signing_key.kid == first

    done = await world.step(timedelta(hours=1))
    assert done == [f"activated {next_kid}", f"retired {first}"]
    assert world.holder.ring.signing_key.kid == next_kid
    assert world.published() == {first, next_kid}
    assert AuditEventType.KEY_ACTIVATED in await world.audit_types()
    assert AuditEventType.KEY_RETIRED in await world.audit_types()


@pytest.mark.threat("T-LIF-06")
async def test_a_token_signed_before_rotation_verifies_until_it_expires(world: World) -> None:
    await world.step(timedelta(days=29))
    await world.step(timedelta(days=1) - timedelta(minutes=1))
    old_token = world.token()
    await world.step(timedelta(minutes=1))  # rotation
    assert world.verifier.verify(old_token).subject == "user"

    world.clock.advance(TOKEN_LIFETIME - 60)
    assert world.verifier.verify(old_token).subject == "user"
    world.clock.advance(120)
    with pytest.raises(InvalidToken) as refused:
        world.verifier.verify(old_token)
    assert refused.value.reason == "expired"


async def test_a_retired_key_is_removed_after_its_retention(world: World) -> None:
    first = world.holder.ring.active_kid
    await world.step(timedelta(days=29))
    await world.step(timedelta(days=1))
    assert await world.state_of(first or "") is KeyState.RETIRED

    assert await world.step(POLICY.retain_retired - timedelta(seconds=1)) == []
    assert await world.step(timedelta(seconds=1)) == [f"removed {first}"]
    assert first not in world.published()
    assert AuditEventType.KEY_REMOVED in await world.audit_types()


async def test_a_missed_schedule_still_publishes_the_next_key_a_full_day_ahead(world: World) -> None:
    """The server was down across the due date: the new key is created late and waits its full day."""
    done = await world.step(timedelta(days=40))
    assert done[0].startswith("created next ")
    assert await world.step(timedelta(hours=23)) == []
    assert (await world.step(timedelta(hours=1)))[0].startswith("activated ")


async def test_rotate_now_activates_a_new_key_and_keeps_the_old_one_published(world: World) -> None:
    first = world.holder.ring.active_kid
    old_token = world.token()

    new = await world.keys.rotate()
    await world.holder.reload()

    assert new.state is KeyState.ACTIVE
    assert new.kid != first
    assert world.holder.ring.signing_key.kid == new.kid
    assert await world.state_of(first or "") is KeyState.RETIRED
    assert world.published() == {first, new.kid}
    assert world.verifier.verify(old_token).subject == "user"
    assert world.verifier.verify(world.token()).subject == "user"


async def test_rotate_now_promotes_a_waiting_next_key(world: World) -> None:
    done = await world.step(timedelta(days=29))
    next_kid = done[0].removeprefix("created next ")

    assert (await world.keys.rotate()).kid == next_kid


@pytest.mark.threat("T-LIF-05")
async def test_a_token_signed_by_a_revoked_key_stops_verifying(world: World) -> None:
    compromised = world.holder.ring.active_kid or ""
    token = world.token()

    replacement = await world.keys.revoke(compromised)
    await world.holder.reload()

    with pytest.raises(InvalidToken) as refused:
        world.verifier.verify(token)
    assert refused.value.reason == "unknown_kid"
    assert compromised not in world.published()
    assert replacement is not None
    assert world.holder.ring.signing_key.kid == replacement.kid
    assert world.verifier.verify(world.token()).subject == "user"
    revoked = next(e for e in await world.audit.list_events() if e.type == AuditEventType.KEY_REVOKED)
    assert revoked.details["kid"] == compromised


@pytest.mark.threat("T-LIF-05")
async def test_revoking_the_signing_key_also_withdraws_the_waiting_next_key(world: World) -> None:
    """A compromise of the active key may have exposed the next one the same way: it must never sign."""
    compromised = world.holder.ring.active_kid or ""
    done = await world.step(timedelta(days=29))
    waiting = done[0].removeprefix("created next ")

    replacement = await world.keys.revoke(compromised)
    await world.holder.reload()

    assert replacement is not None
    assert replacement.kid not in (compromised, waiting)
    assert world.published() == {replacement.kid}
    states = {k.kid: k.state for k in await world.repository.list_keys()}
    assert states[waiting] is KeyState.REVOKED
    assert await world.step(timedelta(days=1)) == []  # nothing left that could be promoted
    assert world.holder.ring.signing_key.kid == replacement.kid


async def test_revoking_a_retired_key_keeps_the_active_one(world: World) -> None:
    first = (await world.keys.list_keys())[0].kid
    active = await world.keys.rotate()

    assert await world.keys.revoke(first) is None
    assert await world.keys.revoke(first) is None  # twice is harmless
    await world.holder.reload()
    assert world.holder.ring.signing_key.kid == active.kid


async def test_revoking_an_unknown_kid_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.keys.revoke("no-such-kid")


async def test_rewrap_puts_every_usable_key_under_the_new_kek_and_erases_revoked_ones(world: World) -> None:
    first = (await world.keys.list_keys())[0].kid
    await world.keys.rotate()
    await world.keys.rotate()
    await world.keys.revoke(first)
    new = KeyEncryptor(os.urandom(32))

    sealed = await world.keys.rewrapped_keys(new)
    assert len(sealed) == 3
    await world.keys.store_rewrapped_keys(sealed)

    for stored in await world.repository.list_keys():
        if stored.kid == first:
            assert stored.encrypted_private_key == b""
            continue
        assert new.decrypt(stored.encrypted_private_key, stored.kid)
        with pytest.raises(KeyDecryptionError):
            world.encryptor.decrypt(stored.encrypted_private_key, stored.kid)


async def test_a_process_learns_a_key_activated_elsewhere_on_its_first_token(world: World) -> None:
    """Another process rotated: a token signed with the new key makes this one reload (rate-limited)."""
    other = KeyRingHolder(world.keys, await world.keys.load(), world.clock)
    await world.keys.rotate()
    await world.holder.reload()
    new_kid = world.holder.ring.active_kid or ""

    assert other.ring.verification_key(new_kid) is None
    assert await other.learn(new_kid) is True
    assert await other.learn("made-up-kid") is False  # reloads at most once per interval
    world.clock.advance(1)
    assert await other.learn("another-made-up-kid") is False


def test_the_policy_refuses_a_publish_ahead_longer_than_the_interval() -> None:
    with pytest.raises(ValueError, match="shorter"):
        RotationPolicy(interval=timedelta(days=1), publish_ahead=timedelta(days=2))

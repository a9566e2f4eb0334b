"""KeyRing (what signs, what verifies, what is published) and KeyService (one active key from first start)."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime, timedelta

import pytest
from joserfc.jwk import ECKey

from tests.fakes import FakeKeyRepository
from tokenward.domain.audit.events import AuditEvent, AuditEventType, AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.context import RequestContext
from tokenward.domain.keys.encryption import KeyDecryptionError, KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import KeyState, StoredKey
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.keys.rotation import KeyService
from tokenward.errors import KeyUnavailable
from tokenward_client.keys import PRIVATE_JWK_MEMBERS

ENCRYPTOR = KeyEncryptor(os.urandom(32))
CLOCK = FrozenClock()
NOW = CLOCK.now()


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.events.append(event)


class RecordingTrail(AuditTrail):
    """Keeps the events as the service described them, before redaction."""

    def __init__(self, sink: RecordingSink) -> None:
        super().__init__([sink], CLOCK)
        self.raw: list[AuditEvent] = []

    async def record(
        self,
        event_type: str,
        context: RequestContext | None = None,
        /,
        *,
        outcome: str = "success",
        user_id: str | None = None,
        session_id: str | None = None,
        **details: object,
    ) -> None:
        self.raw.append(AuditEvent(type=event_type, at=CLOCK.now(), outcome=outcome, details=details))
        await super().record(
            event_type, context, outcome=outcome, user_id=user_id, session_id=session_id, **details
        )


def key(state: KeyState, alg: str = "ES256", activated: datetime | None = None) -> StoredKey:
    stored = generate_key(alg, ENCRYPTOR, NOW, state)
    return dataclasses.replace(stored, activated_at=activated) if activated else stored


@pytest.fixture(scope="module")
def ring_keys() -> dict[KeyState, StoredKey]:
    return {state: key(state) for state in KeyState}


# --------------------------------------------------------------------------------------------------- KeyRing


def test_the_active_key_signs(ring_keys: dict[KeyState, StoredKey]) -> None:
    ring = KeyRing(list(ring_keys.values()), ENCRYPTOR)
    signing = ring.signing_key
    assert signing.kid == ring_keys[KeyState.ACTIVE].kid
    assert signing.alg == "ES256"
    assert signing.key.is_private


def test_published_keys_verify_and_revoked_ones_do_not(ring_keys: dict[KeyState, StoredKey]) -> None:
    ring = KeyRing(list(ring_keys.values()), ENCRYPTOR)
    for state in (KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRED):
        verification = ring.verification_key(ring_keys[state].kid)
        assert verification is not None
        assert verification.alg == "ES256"
        assert isinstance(verification.key, ECKey)  # the ring verifies with the joserfc key it publishes
        assert not verification.key.is_private
    assert ring.verification_key(ring_keys[KeyState.REVOKED].kid) is None
    assert ring.verification_key("no-such-kid") is None


@pytest.mark.threat("T-KEY-02")
def test_jwks_publishes_next_active_retired_without_private_members(
    ring_keys: dict[KeyState, StoredKey],
) -> None:
    ring = KeyRing(list(ring_keys.values()), ENCRYPTOR)
    jwks = ring.jwks()
    published = {jwk["kid"] for jwk in jwks["keys"]}
    assert published == {ring_keys[s].kid for s in (KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRED)}
    assert set(ring.kids) == published
    for jwk in jwks["keys"]:
        assert not PRIVATE_JWK_MEMBERS & jwk.keys()
        assert jwk["use"] == "sig"
        assert jwk["alg"] == "ES256"


@pytest.mark.threat("T-KEY-02")
def test_jwks_is_rederived_even_if_storage_holds_private_members() -> None:
    """A tampered or buggy row carrying ``d`` never reaches the JWKS."""
    stored = key(KeyState.ACTIVE)
    poisoned = dataclasses.replace(stored, public_jwk={**stored.public_jwk, "d": "c2VjcmV0"})
    with pytest.raises(ValueError, match="private"):
        KeyRing([poisoned], ENCRYPTOR)


def test_no_active_key_means_key_unavailable(ring_keys: dict[KeyState, StoredKey]) -> None:
    ring = KeyRing([ring_keys[KeyState.NEXT], ring_keys[KeyState.RETIRED]], ENCRYPTOR)
    with pytest.raises(KeyUnavailable):
        _ = ring.signing_key
    assert len(ring.jwks()["keys"]) == 2


def test_two_active_keys_resolve_deterministically() -> None:
    """After a first-start race: the newest activation signs, whatever the storage order."""
    older = key(KeyState.ACTIVE, activated=NOW)
    newer = key(KeyState.ACTIVE, activated=NOW + timedelta(seconds=1))
    assert KeyRing([older, newer], ENCRYPTOR).signing_key.kid == newer.kid
    assert KeyRing([newer, older], ENCRYPTOR).signing_key.kid == newer.kid
    tie_a, tie_b = key(KeyState.ACTIVE, activated=NOW), key(KeyState.ACTIVE, activated=NOW)
    winner = max(tie_a.kid, tie_b.kid)
    assert KeyRing([tie_a, tie_b], ENCRYPTOR).signing_key.kid == winner
    assert KeyRing([tie_b, tie_a], ENCRYPTOR).signing_key.kid == winner


def test_private_key_is_decrypted_once() -> None:
    class CountingEncryptor(KeyEncryptor):
        calls = 0

        def decrypt(self, blob: bytes, kid: str) -> bytes:
            CountingEncryptor.calls += 1
            return super().decrypt(blob, kid)

    encryptor = CountingEncryptor(os.urandom(32))
    ring = KeyRing([generate_key("Ed25519", encryptor, NOW, KeyState.ACTIVE)], encryptor)
    assert CountingEncryptor.calls == 0  # building the ring (and the JWKS) needs no private key
    ring.jwks()
    assert ring.signing_key is ring.signing_key
    assert CountingEncryptor.calls == 1


@pytest.mark.threat("T-KEY-01")
def test_ciphertext_swapped_between_keys_is_refused() -> None:
    a, b = key(KeyState.ACTIVE), key(KeyState.NEXT)
    swapped = dataclasses.replace(a, encrypted_private_key=b.encrypted_private_key)
    with pytest.raises(KeyDecryptionError):
        _ = KeyRing([swapped], ENCRYPTOR).signing_key


@pytest.mark.threat("T-KEY-01")
def test_wrong_kek_cannot_sign() -> None:
    with pytest.raises(KeyDecryptionError):
        _ = KeyRing([key(KeyState.ACTIVE)], KeyEncryptor(os.urandom(32))).signing_key


# ------------------------------------------------------------------------------------------------ KeyService


def service(repository: FakeKeyRepository, trail: AuditTrail, alg: str = "ES256") -> KeyService:
    return KeyService(repository, ENCRYPTOR, FrozenClock(NOW), trail, alg)


@pytest.mark.threat("T-AUD-01")
async def test_first_start_creates_exactly_one_active_key_and_records_it() -> None:
    repository, sink = FakeKeyRepository(), RecordingSink()
    trail = RecordingTrail(sink)
    ring = await service(repository, trail).ensure_active_key()

    stored = await repository.list_keys()
    assert len(stored) == 1
    created = stored[0]
    assert created.state is KeyState.ACTIVE
    assert created.alg == "ES256"
    assert ring.signing_key.kid == created.kid

    assert [event.type for event in trail.raw] == [AuditEventType.KEY_CREATED]
    assert trail.raw[0].details == {
        "kid": created.kid,
        "alg": "ES256",
        "reason": "first_start",
        "state": "active",
    }
    assert len(sink.events) == 1


@pytest.mark.threat("T-API-02", "T-KEY-01")
async def test_key_created_event_has_no_key_material() -> None:
    repository, sink = FakeKeyRepository(), RecordingSink()
    trail = RecordingTrail(sink)
    await service(repository, trail, "RS256").ensure_active_key()
    (created,) = await repository.list_keys()
    der = ENCRYPTOR.decrypt(created.encrypted_private_key, created.kid)
    for event in [*trail.raw, *sink.events]:
        text = json.dumps(dict(event.details)) + repr(event)
        assert created.public_jwk["n"] not in text
        for material in (der, created.encrypted_private_key):
            assert material.hex() not in text
            assert repr(material) not in text


async def test_existing_active_key_is_kept() -> None:
    repository, sink = FakeKeyRepository(), RecordingSink()
    keys = service(repository, RecordingTrail(sink))
    first = await keys.ensure_active_key()
    second = await keys.ensure_active_key()
    assert len(await repository.list_keys()) == 1
    assert first.signing_key.kid == second.signing_key.kid
    assert len(sink.events) == 1


async def test_a_key_is_created_when_only_retired_or_revoked_keys_exist() -> None:
    repository = FakeKeyRepository()
    for stored in (key(KeyState.RETIRED), key(KeyState.REVOKED)):
        await repository.add(stored)
    ring = await service(repository, RecordingTrail(RecordingSink()), "Ed25519").ensure_active_key()
    assert ring.signing_key.alg == "Ed25519"
    assert [k.state for k in await repository.list_keys()].count(KeyState.ACTIVE) == 1


async def test_load_and_list() -> None:
    repository = FakeKeyRepository()
    keys = service(repository, RecordingTrail(RecordingSink()))
    with pytest.raises(KeyUnavailable):
        _ = (await keys.load()).signing_key
    await keys.ensure_active_key()
    stored = await repository.list_keys()
    assert [k.kid for k in await keys.list_keys()] == [k.kid for k in stored]
    assert (await keys.load()).kids == (stored[0].kid,)


def test_service_refuses_an_unsupported_algorithm() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        service(FakeKeyRepository(), RecordingTrail(RecordingSink()), "HS256")

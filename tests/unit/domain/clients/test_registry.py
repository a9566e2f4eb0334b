"""Registered API clients: secrets shown once, stored as hashes, checked cheaply and in constant time."""

from __future__ import annotations

import pytest

from tests.client_support import secret_of
from tests.fakes import FakeAuditRepository, FakeClientRepository
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients import ClientRegistry, hash_client_secret
from tokenward.domain.clock import FrozenClock
from tokenward.errors import InvalidClient, InvalidRequest, NotFound


@pytest.fixture
def parts() -> tuple[ClientRegistry, FakeClientRepository, FakeAuditRepository]:
    repository, events = FakeClientRepository(), FakeAuditRepository()
    clock = FrozenClock()
    return ClientRegistry(repository, AuditTrail([events], clock), clock), repository, events


async def test_create_returns_the_secret_once_and_stores_its_hash(
    parts: tuple[ClientRegistry, FakeClientRepository, FakeAuditRepository],
) -> None:
    service, repository, events = parts
    created = await service.create("  orders api ")

    stored = await repository.get(created.client.id)
    assert stored is not None
    assert stored.name == "orders api"
    assert stored.secret_hash == hash_client_secret(secret_of(created))
    assert secret_of(created).startswith("tws_")
    assert secret_of(created) not in repr(created)
    assert [e.type for e in await events.list_events()] == [AuditEventType.API_CLIENT_CREATED]
    assert secret_of(created) not in str(await events.list_events())


async def test_authenticate_accepts_the_right_secret_only(
    parts: tuple[ClientRegistry, FakeClientRepository, FakeAuditRepository],
) -> None:
    service, _, _ = parts
    created = await service.create("billing")

    assert (await service.authenticate(created.client.id, secret_of(created))).id == created.client.id
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, secret_of(created) + "x")


@pytest.mark.parametrize("client_id", ["twapi-unknown", "", "x" * 65])
async def test_unknown_and_absurd_ids_are_refused_like_a_wrong_secret(
    parts: tuple[ClientRegistry, FakeClientRepository, FakeAuditRepository], client_id: str
) -> None:
    service, repository, _ = parts
    with pytest.raises(InvalidClient) as refused:
        await service.authenticate(client_id, "tws_anything")
    assert refused.value.detail == "Client authentication failed"
    assert all(len(looked_up) <= 64 for looked_up in repository.lookups)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "tab\there"])
async def test_bad_names_are_refused(
    parts: tuple[ClientRegistry, FakeClientRepository, FakeAuditRepository], name: str
) -> None:
    service, repository, _ = parts
    with pytest.raises(InvalidRequest):
        await service.create(name)
    assert await repository.list_clients() == []


async def test_delete(parts: tuple[ClientRegistry, FakeClientRepository, FakeAuditRepository]) -> None:
    service, _, events = parts
    created = await service.create("temporary")
    await service.delete(created.client.id)
    with pytest.raises(NotFound):
        await service.delete(created.client.id)
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, secret_of(created))
    assert (await events.list_events())[0].type == AuditEventType.API_CLIENT_DELETED  # newest first


async def test_a_known_client_is_read_from_storage_at_most_once_per_cache_period() -> None:
    repository, clock = FakeClientRepository(), FrozenClock()
    service = ClientRegistry(repository, AuditTrail([FakeAuditRepository()], clock), clock, cache_seconds=5)
    created = await service.create("introspector")
    for _ in range(10):
        await service.authenticate(created.client.id, secret_of(created))
    assert repository.lookups == [created.client.id]
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, "tws_wrong")  # the cache never skips the secret check

    # deleted elsewhere (another process): refused once the cached entry is older than the period
    assert await repository.delete(created.client.id)
    await service.authenticate(created.client.id, secret_of(created))
    clock.advance(5)
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, secret_of(created))


async def test_unknown_clients_are_never_cached() -> None:
    repository = FakeClientRepository()
    service = ClientRegistry(repository, AuditTrail([FakeAuditRepository()]), FrozenClock())
    for _ in range(3):
        with pytest.raises(InvalidClient):
            await service.authenticate("twapi-unknown", "tws_x")
    assert repository.lookups == ["twapi-unknown"] * 3

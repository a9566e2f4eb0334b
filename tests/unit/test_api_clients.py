"""Registered API clients: secrets shown once, stored as hashes, checked cheaply and in constant time."""

from __future__ import annotations

import pytest

from tokenward.domain.audit.events import AuditEvent, AuditEventType, AuditTrail
from tokenward.domain.clients.api_clients import ApiClient, ApiClientService, hash_client_secret
from tokenward.domain.clock import FrozenClock
from tokenward.errors import InvalidClient, InvalidRequest, NotFound


class MemoryClients:
    def __init__(self) -> None:
        self.clients: dict[str, ApiClient] = {}
        self.lookups: list[str] = []

    async def add(self, client: ApiClient) -> None:
        self.clients[client.id] = client

    async def get(self, client_id: str) -> ApiClient | None:
        self.lookups.append(client_id)
        return self.clients.get(client_id)

    async def list_clients(self) -> list[ApiClient]:
        return list(self.clients.values())

    async def delete(self, client_id: str) -> bool:
        return self.clients.pop(client_id, None) is not None


class Events:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.events.append(event)


@pytest.fixture
def parts() -> tuple[ApiClientService, MemoryClients, Events]:
    repository, events = MemoryClients(), Events()
    return ApiClientService(repository, AuditTrail([events]), FrozenClock()), repository, events


async def test_create_returns_the_secret_once_and_stores_its_hash(
    parts: tuple[ApiClientService, MemoryClients, Events],
) -> None:
    service, repository, events = parts
    created = await service.create("  orders api ")

    stored = repository.clients[created.client.id]
    assert stored.name == "orders api"
    assert stored.secret_hash == hash_client_secret(created.secret)
    assert created.secret.startswith("tws_")
    assert created.secret not in repr(created)
    assert [e.type for e in events.events] == [AuditEventType.API_CLIENT_CREATED]
    assert created.secret not in str(events.events)


async def test_authenticate_accepts_the_right_secret_only(
    parts: tuple[ApiClientService, MemoryClients, Events],
) -> None:
    service, _, _ = parts
    created = await service.create("billing")

    assert (await service.authenticate(created.client.id, created.secret)).id == created.client.id
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, created.secret + "x")


@pytest.mark.parametrize("client_id", ["twapi-unknown", "", "x" * 65])
async def test_unknown_and_absurd_ids_are_refused_like_a_wrong_secret(
    parts: tuple[ApiClientService, MemoryClients, Events], client_id: str
) -> None:
    service, repository, _ = parts
    with pytest.raises(InvalidClient) as refused:
        await service.authenticate(client_id, "tws_anything")
    assert refused.value.detail == "Client authentication failed"
    assert all(len(looked_up) <= 64 for looked_up in repository.lookups)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "tab\there"])
async def test_bad_names_are_refused(
    parts: tuple[ApiClientService, MemoryClients, Events], name: str
) -> None:
    service, repository, _ = parts
    with pytest.raises(InvalidRequest):
        await service.create(name)
    assert repository.clients == {}


async def test_delete(parts: tuple[ApiClientService, MemoryClients, Events]) -> None:
    service, _, events = parts
    created = await service.create("temporary")
    await service.delete(created.client.id)
    with pytest.raises(NotFound):
        await service.delete(created.client.id)
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, created.secret)
    assert events.events[-1].type == AuditEventType.API_CLIENT_DELETED


async def test_a_known_client_is_read_from_storage_at_most_once_per_cache_period() -> None:
    repository, clock = MemoryClients(), FrozenClock()
    service = ApiClientService(repository, AuditTrail([Events()]), clock, cache_seconds=5)
    created = await service.create("introspector")
    for _ in range(10):
        await service.authenticate(created.client.id, created.secret)
    assert repository.lookups == [created.client.id]
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, "tws_wrong")  # the cache never skips the secret check

    # deleted elsewhere (another process): refused once the cached entry is older than the period
    del repository.clients[created.client.id]
    await service.authenticate(created.client.id, created.secret)
    clock.advance(5)
    with pytest.raises(InvalidClient):
        await service.authenticate(created.client.id, created.secret)


async def test_unknown_clients_are_never_cached() -> None:
    repository = MemoryClients()
    service = ApiClientService(repository, AuditTrail([Events()]), FrozenClock())
    for _ in range(3):
        with pytest.raises(InvalidClient):
            await service.authenticate("twapi-unknown", "tws_x")
    assert repository.lookups == ["twapi-unknown"] * 3

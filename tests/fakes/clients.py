"""Registered clients: OpenID Connect apps and resource servers."""

from __future__ import annotations

from tests.fakes.base import DuplicateKey
from tokenward.domain.clients import Client


class FakeClientRepository:
    def __init__(self) -> None:
        self._clients: dict[str, Client] = {}
        #: every id asked for through ``get``, so a test can see what reached storage
        self.lookups: list[str] = []

    async def add(self, client: Client) -> None:
        if client.id in self._clients:
            raise DuplicateKey(f"duplicate client id {client.id!r}")
        self._clients[client.id] = client

    async def get(self, client_id: str) -> Client | None:
        self.lookups.append(client_id)
        return self._clients.get(client_id)

    async def list_clients(self) -> list[Client]:
        return sorted(self._clients.values(), key=lambda c: (c.created_at, c.id))

    async def replace(self, client: Client) -> bool:
        if client.id not in self._clients:
            return False
        self._clients[client.id] = client
        return True

    async def delete(self, client_id: str) -> bool:
        return self._clients.pop(client_id, None) is not None

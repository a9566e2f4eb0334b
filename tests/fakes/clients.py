"""API clients: the registered resource servers."""

from __future__ import annotations

from tests.fakes.base import DuplicateKey
from tokenward.domain.clients.api_clients import ApiClient


class FakeApiClientRepository:
    def __init__(self) -> None:
        self._clients: dict[str, ApiClient] = {}
        #: every id asked for through ``get``, so a test can see what reached storage
        self.lookups: list[str] = []

    async def add(self, client: ApiClient) -> None:
        if client.id in self._clients:
            raise DuplicateKey(f"duplicate client id {client.id!r}")
        self._clients[client.id] = client

    async def get(self, client_id: str) -> ApiClient | None:
        self.lookups.append(client_id)
        return self._clients.get(client_id)

    async def list_clients(self) -> list[ApiClient]:
        return sorted(self._clients.values(), key=lambda c: (c.created_at, c.id))

    async def delete(self, client_id: str) -> bool:
        return self._clients.pop(client_id, None) is not None

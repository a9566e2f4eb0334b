"""The ports the clients package needs: where API clients are stored (``adapters/sql/clients.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.clients.model import ApiClient


class ApiClientRepository(Protocol):
    async def add(self, client: ApiClient) -> None: ...

    async def get(self, client_id: str) -> ApiClient | None: ...

    async def list_clients(self) -> list[ApiClient]:
        """Oldest first."""
        ...

    async def delete(self, client_id: str) -> bool:
        """``False`` when no such client existed."""
        ...

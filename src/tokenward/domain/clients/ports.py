"""The ports the clients package needs: where clients are stored (``adapters/sql/clients.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.clients.model import Client


class ClientRepository(Protocol):
    async def add(self, client: Client) -> None: ...

    async def get(self, client_id: str) -> Client | None: ...

    async def list_clients(self) -> list[Client]:
        """Oldest first."""
        ...

    async def replace(self, client: Client) -> bool:
        """Store ``client`` over the one with its id; ``False`` when no such client existed."""
        ...

    async def delete(self, client_id: str) -> bool:
        """``False`` when no such client existed."""
        ...

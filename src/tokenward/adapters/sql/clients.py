"""``ClientRepository`` on SQL: registered clients, with only a hash of each secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import clients
from tokenward.domain.clients import Client, ClientType


class SqlClientRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, client: Client) -> None:
        async with self._db.write() as conn:
            await conn.execute(insert(clients).values(id=client.id, **_values(client)))

    async def get(self, client_id: str) -> Client | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(clients).where(clients.c.id == client_id))).one_or_none()
        return None if row is None else _client(row)

    async def list_clients(self) -> list[Client]:
        statement = select(clients).order_by(clients.c.created_at, clients.c.id)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_client(row) for row in rows]

    async def replace(self, client: Client) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(clients).where(clients.c.id == client.id).values(**_values(client))
            )
        return bool(result.rowcount)

    async def delete(self, client_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(delete(clients).where(clients.c.id == client_id))
        return bool(result.rowcount)


def _values(client: Client) -> Mapping[str, Any]:
    return {
        "name": client.name,
        "type": client.type.value,
        "secret_hash": client.secret_hash,
        "created_at": client.created_at,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scopes": " ".join(sorted(client.scopes)),
        "first_party": client.first_party,
        "backchannel_logout_uri": client.backchannel_logout_uri,
    }


def _client(row: Row[Any]) -> Client:
    return Client(
        id=row.id,
        name=row.name,
        type=ClientType(row.type),
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris),
        scopes=frozenset(row.scopes.split()),
        first_party=bool(row.first_party),
        backchannel_logout_uri=row.backchannel_logout_uri,
    )

"""``ApiClientRepository`` on SQL: registered resource servers, with only a hash of each secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import api_clients
from tokenward.domain.clients.model import ApiClient


class SqlApiClientRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, client: ApiClient) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(api_clients).values(
                    id=client.id,
                    name=client.name,
                    secret_hash=client.secret_hash,
                    created_at=client.created_at,
                    scopes=" ".join(sorted(client.scopes)),
                )
            )

    async def get(self, client_id: str) -> ApiClient | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(api_clients).where(api_clients.c.id == client_id))).one_or_none()
        return None if row is None else _client(row)

    async def list_clients(self) -> list[ApiClient]:
        statement = select(api_clients).order_by(api_clients.c.created_at, api_clients.c.id)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_client(row) for row in rows]

    async def delete(self, client_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(delete(api_clients).where(api_clients.c.id == client_id))
        return bool(result.rowcount)


def _client(row: Row[Any]) -> ApiClient:
    return ApiClient(
        id=row.id,
        name=row.name,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        scopes=frozenset(row.scopes.split()),
    )

"""Revision 0010 moves the API clients of revision 0005 (with their ``admin`` scope) into the client registry,
and its downgrade moves them back."""

from __future__ import annotations

from sqlalchemy import text

from tokenward.adapters.sql import Database, downgrade, migrate
from tokenward.adapters.sql.clients import SqlClientRepository
from tokenward.domain.clients import ClientType
from tokenward.domain.clock import FrozenClock

_API_CLIENT = (
    "INSERT INTO api_clients (id, name, secret_hash, created_at, scopes) "
    "VALUES (:id, :name, :secret_hash, :created_at, :scopes)"
)


async def test_api_clients_become_confidential_clients_and_come_back(
    empty_database_url: str, clock: FrozenClock
) -> None:
    await migrate(empty_database_url)
    await downgrade(empty_database_url, "0006")
    db = Database(empty_database_url)
    try:
        async with db.write() as conn:
            for client_id, scopes in (("twapi-ops", "admin"), ("twapi-rs", "")):
                await conn.execute(
                    text(_API_CLIENT),
                    {
                        "id": client_id,
                        "name": client_id,
                        "secret_hash": "ab" * 32,
                        "created_at": clock.now(),
                        "scopes": scopes,
                    },
                )
        await migrate(empty_database_url)

        moved = {client.id: client for client in await SqlClientRepository(db).list_clients()}
        assert set(moved) == {"twapi-ops", "twapi-rs"}
        assert moved["twapi-ops"].scopes == frozenset({"admin"})
        assert moved["twapi-rs"].scopes == frozenset()
        assert all(c.type is ClientType.CONFIDENTIAL and c.secret_hash == "ab" * 32 for c in moved.values())
        assert all(c.redirect_uris == () and not c.first_party for c in moved.values())

        await downgrade(empty_database_url, "0006")
        async with db.read() as conn:
            rows = (await conn.execute(text("SELECT id, scopes FROM api_clients ORDER BY id"))).all()
        assert [tuple(row) for row in rows] == [("twapi-ops", "admin"), ("twapi-rs", "")]
    finally:
        await db.dispose()

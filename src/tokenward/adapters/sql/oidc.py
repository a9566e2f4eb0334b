"""The OpenID Connect stores on SQL: authorization codes (hashes only) and remembered consents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import authorization_codes, consents
from tokenward.domain.oidc.codes import AuthorizationCode, Redemption
from tokenward.domain.oidc.consents import Consent


class SqlAuthorizationCodeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, code: AuthorizationCode) -> None:
        values = {column.name: getattr(code, column.name) for column in authorization_codes.columns}
        values["amr"] = list(code.amr)
        async with self._db.write() as conn:
            await conn.execute(insert(authorization_codes).values(**values))

    async def consume(self, code_hash: str, now: datetime, token_session_id: str) -> Redemption | None:
        table = authorization_codes
        async with self._db.write() as conn:
            # one statement decides who used the code first, whatever the isolation level
            result = await conn.execute(
                update(table)
                .where(table.c.code_hash == code_hash, table.c.used_at.is_(None))
                .values(used_at=now, token_session_id=token_session_id)
            )
            row = (await conn.execute(select(table).where(table.c.code_hash == code_hash))).one_or_none()
        return None if row is None else Redemption(_code(row), first_use=bool(result.rowcount))

    async def mark_replayed(self, code_hash: str, now: datetime) -> None:
        table = authorization_codes
        async with self._db.write() as conn:
            await conn.execute(
                update(table)
                .where(table.c.code_hash == code_hash, table.c.replayed_at.is_(None))
                .values(replayed_at=now)
            )

    async def get(self, code_hash: str) -> AuthorizationCode | None:
        table = authorization_codes
        async with self._db.read() as conn:
            row = (await conn.execute(select(table).where(table.c.code_hash == code_hash))).one_or_none()
        return None if row is None else _code(row)

    async def delete_expired(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(authorization_codes).where(authorization_codes.c.expires_at < before)
            )
        return int(result.rowcount)


def _code(row: Row[Any]) -> AuthorizationCode:
    values = dict(row._mapping)
    values["amr"] = tuple(values["amr"])
    return AuthorizationCode(**values)


class SqlConsentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, consent: Consent) -> None:
        key = (consents.c.user_id == consent.user_id) & (consents.c.client_id == consent.client_id)
        scopes = " ".join(sorted(consent.scopes))
        async with self._db.write() as conn:
            changed = await conn.execute(
                update(consents).where(key).values(scopes=scopes, granted_at=consent.granted_at)
            )
            if not changed.rowcount:
                await conn.execute(
                    insert(consents).values(
                        user_id=consent.user_id,
                        client_id=consent.client_id,
                        scopes=scopes,
                        granted_at=consent.granted_at,
                    )
                )

    async def get(self, user_id: str, client_id: str) -> Consent | None:
        key = (consents.c.user_id == user_id) & (consents.c.client_id == client_id)
        async with self._db.read() as conn:
            row = (await conn.execute(select(consents).where(key))).one_or_none()
        return None if row is None else _consent(row)

    async def list_for_user(self, user_id: str) -> list[Consent]:
        statement = select(consents).where(consents.c.user_id == user_id).order_by(consents.c.granted_at)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_consent(row) for row in rows]

    async def delete(self, user_id: str, client_id: str) -> bool:
        key = (consents.c.user_id == user_id) & (consents.c.client_id == client_id)
        async with self._db.write() as conn:
            result = await conn.execute(delete(consents).where(key))
        return bool(result.rowcount)


def _consent(row: Row[Any]) -> Consent:
    return Consent(
        user_id=row.user_id,
        client_id=row.client_id,
        scopes=frozenset(row.scopes.split()),
        granted_at=row.granted_at,
    )

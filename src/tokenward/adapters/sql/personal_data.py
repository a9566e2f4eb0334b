"""``UserDirectory`` on SQL: users page by page, and every row about one user, secrets withheld.

``PERSONAL_TABLES`` says, for each table that holds rows about a user, which column names the user and which
columns are withheld from the export (and why). A test walks the schema and fails when a table with a user
column, or a column of such a table, is in neither list, so a new table or column cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import metadata, users
from tokenward.adapters.sql.users import user_from_row
from tokenward.domain.accounts.users import User


@dataclass(frozen=True, slots=True)
class PersonalTable:
    #: the column holding the user's id
    user_column: str
    #: columns left out of the export, with the reason
    withheld: dict[str, str] = field(default_factory=dict)


PERSONAL_TABLES: dict[str, PersonalTable] = {
    "users": PersonalTable(
        "id",
        {
            "password_hash": "a secret (a password hash is never given out)",
            "email_normalized": "the same address as email, in look-up form",
        },
    ),
    "sessions": PersonalTable("user_id"),
    "refresh_tokens": PersonalTable("user_id", {"token_hash": "a secret (proof of a refresh token)"}),
    "totp_factors": PersonalTable("user_id", {"encrypted_secret": "a secret (the TOTP seed)"}),
    "recovery_codes": PersonalTable("user_id", {"code_hash": "a secret (proof of a recovery code)"}),
    "mfa_challenges": PersonalTable("user_id", {"token_hash": "a secret (proof of a pending sign-in)"}),
    "one_time_tokens": PersonalTable("user_id", {"token_hash": "a secret (proof of an e-mailed link)"}),
    "known_devices": PersonalTable("user_id"),
    "passkeys": PersonalTable(
        "user_id", {"public_key": "key material (binary; it identifies nobody by itself)"}
    ),
    "webauthn_challenges": PersonalTable(
        "user_id", {"challenge_hash": "a secret (proof of a passkey ceremony in progress)"}
    ),
    "otp_factors": PersonalTable("user_id"),
    "otp_challenges": PersonalTable("user_id", {"code_hash": "a secret (proof of a one-time code)"}),
    "consents": PersonalTable("user_id"),
    "authorization_codes": PersonalTable(
        "user_id", {"code_hash": "a secret (proof of an authorization code)"}
    ),
}

#: tables with a user column that the directory does not export, and why
NOT_EXPORTED: dict[str, str] = {
    "audit_events": "exported through the audit log, with the personal fields opened",
    "audit_data_keys": "key material; destroyed on erasure",
}


class SqlUserDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(self, *, query: str | None, after_id: str | None, limit: int) -> list[User]:
        statement = select(users).order_by(users.c.id).limit(max(limit, 0))
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(users.c.email_normalized.like(f"{escaped}%", escape="\\"))
        if after_id is not None:
            statement = statement.where(users.c.id > after_id)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [user_from_row(row) for row in rows]

    async def personal_rows(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        async with self._db.read() as conn:
            for name, spec in PERSONAL_TABLES.items():
                table = metadata.tables[name]
                columns = [column for column in table.columns if column.name not in spec.withheld]
                statement = select(*columns).where(table.c[spec.user_column] == user_id)
                rows = (await conn.execute(statement)).mappings().all()
                found[name] = [{key: _plain(value) for key, value in row.items()} for row in rows]
        return found

    async def delete_user(self, user_id: str) -> bool:
        # every other table with rows about the user references users.id ON DELETE CASCADE
        async with self._db.write() as conn:
            result = await conn.execute(delete(users).where(users.c.id == user_id))
        return bool(result.rowcount)


def _plain(value: Any) -> Any:
    """JSON-ready: timestamps as ISO 8601, everything else as stored."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value

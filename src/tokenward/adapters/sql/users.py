"""``UserRepository`` on SQL.

Uniqueness of the e-mail is enforced by the database (a unique constraint on the canonical form), not by a
look-up before the insert: two simultaneous sign-ups with one address cannot both pass a check that the
other has not committed yet, but only one of them can pass the constraint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from tokenward.adapters.sql.database import Database
from tokenward.adapters.sql.tables import users
from tokenward.domain.accounts.email_addresses import canonical_email
from tokenward.domain.accounts.users import User
from tokenward.errors import EmailTaken, NotFound

#: how each backend names the violated constraint in its error message
_EMAIL_CONSTRAINT_MARKERS = ("uq_users_email_normalized", "users.email_normalized")
#: addresses per ``IN (...)`` look-up: below SQLite's and asyncpg's limits on bound parameters
_LOOKUP_CHUNK = 500


#: built once (the sign-in path): no statement construction or cache key per call
_BY_EMAIL = select(users).where(users.c.email_normalized == bindparam("email"))


class SqlUserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user: User) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(insert(users).values(_values(user)))
        except IntegrityError as error:
            _raise_if_email_taken(error)
            raise

    async def add_many(self, batch: Sequence[User]) -> None:
        """Insert every user in one statement and one transaction; ``EmailTaken`` (and nothing stored) if any
        address already has an account (``tokenward users import``)."""
        if not batch:
            return
        try:
            async with self._db.write() as conn:
                await conn.execute(insert(users), [_values(user) for user in batch])
        except IntegrityError as error:
            _raise_if_email_taken(error)
            raise

    async def existing_emails(self, canonical: Sequence[str]) -> set[str]:
        """Which of these canonical addresses already have an account."""
        found: set[str] = set()
        async with self._db.read() as conn:
            for start in range(0, len(canonical), _LOOKUP_CHUNK):
                chunk = canonical[start : start + _LOOKUP_CHUNK]
                statement = select(users.c.email_normalized).where(users.c.email_normalized.in_(chunk))
                found.update((await conn.execute(statement)).scalars())
        return found

    async def get(self, user_id: str) -> User | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).one_or_none()
        return None if row is None else _user(row)

    async def get_by_email(self, email: str) -> User | None:
        async with self._db.read() as conn:
            row = (await conn.execute(_BY_EMAIL, {"email": canonical_email(email)})).one_or_none()
        return None if row is None else _user(row)

    async def update(self, user: User) -> None:
        values = _values(user)
        del values["id"]
        try:
            async with self._db.write() as conn:
                result = await conn.execute(update(users).where(users.c.id == user.id).values(values))
                if result.rowcount != 1:
                    raise NotFound("user not found")
        except IntegrityError as error:
            _raise_if_email_taken(error)
            raise


def _raise_if_email_taken(error: IntegrityError) -> None:
    message = str(error.orig)
    if any(marker in message for marker in _EMAIL_CONSTRAINT_MARKERS):
        raise EmailTaken from None


def _values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        # computed here, from the address itself, so uniqueness never depends on a caller
        "email_normalized": canonical_email(user.email),
        "password_hash": user.password_hash,
        "email_verified": user.email_verified,
        "display_name": user.display_name,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "password_changed_at": user.password_changed_at,
    }


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
        email_verified=row.email_verified,
        display_name=row.display_name,
        disabled=row.disabled,
        password_changed_at=row.password_changed_at,
    )


#: the row-to-user mapping, for the other SQL readers of the users table (``personal_data``)
user_from_row = _user

"""The user directory: what the administration and the privacy features read and delete across the stores.

One port for "everything held about a user": listing users page by page for an operator, gathering a user's
rows from every table for the export (secrets withheld by the store, which knows its columns), and deleting the
user with everything that hangs on them in one transaction.
"""

from __future__ import annotations

from typing import Any, Protocol

from tokenward.domain.accounts.users import User


class UserDirectory(Protocol):
    async def search(self, *, query: str | None, after_id: str | None, limit: int) -> list[User]:
        """Users ordered by id after ``after_id``; ``query`` matches the start of the normalised e-mail."""
        ...

    async def personal_rows(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every stored row about the user, by table, without secrets (hashes, ciphertexts, key material).

        The audit trail is not included: it is read, opened, through the audit log.
        """
        ...

    async def delete_user(self, user_id: str) -> bool:
        """Delete the user and every row that belongs to them (sessions, tokens, factors, devices)."""
        ...

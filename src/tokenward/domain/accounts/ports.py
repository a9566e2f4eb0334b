"""The ports the accounts package needs: where users are stored (``adapters/sql/users.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.accounts.users import User


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; raise ``EmailTaken`` when an account has the same canonical e-mail."""
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None:
        """Look up by the canonical e-mail (``email_addresses.canonical_email``)."""
        ...

    async def update(self, user: User) -> None:
        """Write every field of ``user`` (matched by id); raise ``NotFound`` when it does not exist."""
        ...

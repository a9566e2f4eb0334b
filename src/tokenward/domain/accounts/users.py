"""User accounts and the storage port they need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol


def new_user_id() -> str:
    """An opaque subject identifier: random, says nothing about the person."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    email_verified: bool = False
    display_name: str | None = None
    disabled: bool = False
    password_changed_at: datetime | None = None

    def with_changes(self, **changes: object) -> User:
        return replace(self, **changes)  # type: ignore[arg-type]


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

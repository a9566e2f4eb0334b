"""User accounts and the storage port they need."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol


def normalize_email(email: str) -> str:
    """The one form of an address used for look-ups and uniqueness.

    NFKC, surrounding space removed, case folded: ``" Alice@Example.COM"`` and ``"alice@example.com"`` are one
    account, so neither a second sign-up nor a throttle counter can be split by changing case.
    """
    return unicodedata.normalize("NFKC", email).strip().casefold()


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
        """Store a new user; raise ``EmailTaken`` when the normalised e-mail exists."""
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None:
        """Look up by the normalised e-mail (callers pass ``normalize_email(...)``)."""
        ...

    async def update(self, user: User) -> None:
        """Write every field of ``user`` (matched by id); raise ``NotFound`` when it does not exist."""
        ...

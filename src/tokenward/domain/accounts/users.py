"""User accounts: the record and new ids.

The storage port (``UserRepository``) is declared in ``accounts/ports.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime


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

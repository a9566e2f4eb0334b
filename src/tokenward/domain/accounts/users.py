"""User accounts: the record, the one normal form of an e-mail address, and new ids.

The storage port (``UserRepository``) is declared in ``accounts/ports.py``.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from tokenward.domain.accounts.ports import UserRepository as UserRepository


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

"""What the e-mail package handles: an outgoing message, and the stored form of an e-mailed one-time token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    body: str
    #: a stable name for the kind of message, for logs and tests (``account_exists_notice`` ...)
    kind: str


@dataclass(frozen=True, slots=True)
class OneTimeTokenRecord:
    token_hash: str
    purpose: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    #: the session a "this was not me" token names
    session_id: str | None = None
    #: the address a verification token verifies (so a token for an old address cannot verify a new one)
    email: str | None = None
    used_at: datetime | None = None


class Sighting(StrEnum):
    """What a sign-in's device was to the account (``sign_in_notices.py``)."""

    FIRST = "first_device"
    NEW = "new_device"
    KNOWN = "known_device"

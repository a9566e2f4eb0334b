"""The ports the e-mail package needs.

- ``Mailer``: delivers a message (``adapters/email``: SMTP, an outbox folder, a background queue);
- ``OneTimeTokenRepository``: single-use e-mailed tokens, by hash (``adapters/sql/one_time_tokens.py``);
- ``KnownDeviceRepository``: the devices an account has signed in from (``adapters/sql/devices.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.email.model import EmailMessage, OneTimeTokenRecord, Sighting


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class OneTimeTokenRepository(Protocol):
    async def add(self, record: OneTimeTokenRecord) -> None: ...

    async def consume(self, token_hash: str, purpose: str, now: datetime) -> OneTimeTokenRecord | None:
        """Atomically mark the token used if it has this purpose, is unused and unexpired; return it then.

        Every other case (unknown, other purpose, used, expired, lost a race) returns ``None``.
        """
        ...

    async def find(self, token_hash: str, purpose: str, now: datetime) -> OneTimeTokenRecord | None:
        """The token if it has this purpose, is unused and unexpired, without using it."""
        ...

    async def discard_for_user(
        self, user_id: str, purpose: str, now: datetime, *, created_after: datetime | None = None
    ) -> int:
        """Mark every unused token of this purpose for the user used (a newer one replaces them).

        With ``created_after``, only the tokens created after that moment.
        """
        ...

    async def delete_expired(self, before: datetime) -> int:
        """Delete tokens that expired before ``before``, used or not; return how many went."""
        ...


class KnownDeviceRepository(Protocol):
    async def remember(self, user_id: str, fingerprint: str, now: datetime) -> Sighting:
        """Record a sign-in from this device: ``KNOWN`` when the pair was known before, ``FIRST`` when it is
        the account's first device, ``NEW`` otherwise."""
        ...

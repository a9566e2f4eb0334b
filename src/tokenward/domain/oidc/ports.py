"""The ports the OpenID Connect package needs: where authorization codes and consents are stored
(``adapters/sql/oidc.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.oidc.codes import AuthorizationCode, Redemption
    from tokenward.domain.oidc.consents import Consent


class AuthorizationCodeRepository(Protocol):
    async def add(self, code: AuthorizationCode) -> None: ...

    async def consume(self, code_hash: str, now: datetime, token_session_id: str) -> Redemption | None:
        """Atomically mark the code used at ``now`` for ``token_session_id`` if it was unused; ``None`` if
        there is no such code. A code already used comes back with ``first_use=False`` and unchanged."""
        ...

    async def mark_replayed(self, code_hash: str, now: datetime) -> None:
        """Record that the code was presented again (the first time only)."""
        ...

    async def get(self, code_hash: str) -> AuthorizationCode | None: ...

    async def delete_expired(self, before: datetime) -> int:
        """Clean-up: delete codes that expired before ``before`` (used or not); return how many."""
        ...


class LogoutTokenSender(Protocol):
    async def send(self, uri: str, logout_token: str) -> bool:
        """Post ``logout_token`` to a client's back-channel logout URI; whether the client took it (a 2xx
        answer). Never raises: a client that cannot be reached is a ``False``, within a bounded time."""
        ...


class ConsentRepository(Protocol):
    async def save(self, consent: Consent) -> None:
        """Store or replace the user's consent for the client."""
        ...

    async def get(self, user_id: str, client_id: str) -> Consent | None: ...

    async def list_for_user(self, user_id: str) -> list[Consent]: ...

    async def delete(self, user_id: str, client_id: str) -> bool: ...

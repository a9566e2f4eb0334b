"""The ports the sessions package needs.

- ``SessionRepository``: sessions and their refresh-token families (``adapters/sql/sessions.py``);
- ``DenyList``: revoked sessions and access tokens shared by every process (``adapters/memory``,
  ``adapters/redis``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

# Records are named for type checking only: a ports module imports nothing at run time, so any module
# (the records' own modules included) can import it without a cycle.
if TYPE_CHECKING:
    from tokenward.domain.sessions.model import RefreshTokenRecord, Rotation, RotationTerms, Session


class SessionRepository(Protocol):
    async def create(self, session: Session, first_token: RefreshTokenRecord) -> None:
        """Store a new session and its first refresh token in one transaction."""
        ...

    async def get(self, session_id: str) -> Session | None: ...

    async def find_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None: ...

    async def find_refresh_token_and_session(
        self, token_hash: str
    ) -> tuple[RefreshTokenRecord, Session] | None:
        """The refresh token and its session, read together (one transaction: the refresh hot path)."""
        ...

    async def rotate(self, old_hash: str, successor: RefreshTokenRecord, now: datetime) -> bool:
        """Atomically replace a current refresh token by ``successor``.

        In one transaction: mark ``old_hash`` rotated at ``now`` only if it is neither rotated nor revoked,
        insert ``successor`` and set the session's ``last_used_at`` to ``now``. Returns ``True`` for the one
        caller that won; every concurrent caller with the same ``old_hash`` gets ``False`` and changes nothing.
        """
        ...

    def rotate_current(
        self, old_hash: str, successor_hash: str, terms: RotationTerms
    ) -> AbstractAsyncContextManager[Rotation | None]:
        """The refresh hot path: check and rotate in one transaction, holding it open for the caller's block.

        Only if ``old_hash`` is current (neither rotated nor revoked, ``now`` before its expiry), its session
        active, used after ``terms.idle_before`` and ``now`` before its absolute end, and the session's user
        exists and is enabled: mark it rotated at ``now``, insert the successor ``successor_hash`` (expiring
        at ``min(terms.idle_end, session.expires_at)``) and set the session's ``last_used_at`` to ``now``;
        the block receives the ``Rotation``. Otherwise nothing changes and the block receives ``None`` (the
        caller finds out why with the ordinary reads). The transaction commits when the block ends normally
        and rolls back if it raises, so a rotation whose answer could not be built (signing failed) never
        happened. Concurrent callers with the same ``old_hash``: exactly one receives a ``Rotation``.
        """
        ...

    async def touch(self, session_id: str, now: datetime) -> None:
        """Record use of the session (``last_used_at``)."""
        ...

    async def revoke(self, session_id: str, now: datetime, reason: str) -> bool:
        """Revoke the session and every refresh token of its family; ``False`` if it was not active."""
        ...

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, reason: str, *, except_session_id: str | None = None
    ) -> list[str]:
        """Revoke every active session of the user (but one, if named); return the revoked ids."""
        ...

    async def list_for_user(self, user_id: str, *, active_only: bool = True) -> list[Session]: ...

    async def delete_ended(self, *, now: datetime, idle_before: datetime, revoked_before: datetime) -> int:
        """Clean-up: delete sessions past ``expires_at`` (absolute end), unused since before ``idle_before``, or
        revoked before ``revoked_before``, with their refresh tokens; return how many sessions went."""
        ...

    async def delete_expired_refresh_tokens(self, expired_before: datetime) -> int:
        """Clean-up: delete refresh tokens (rotated ones included) that expired before ``expired_before``."""
        ...

    async def set_amr_for_user(self, user_id: str, amr: tuple[str, ...]) -> int:
        """Set the authentication methods of every active session of the user (a factor was removed, so
        tokens refreshed from then on claim less); return how many sessions changed."""
        ...


class DenyList(Protocol):
    @property
    def complete(self) -> bool:
        """Whether every revocation of every process is on this list for as long as it matters (a shared,
        trusted copy); then a session absent from it was not ended, and introspection skips reading it.
        False for a list one process keeps in memory (other processes' revocations are not on it)."""
        ...

    async def deny_session(self, session_id: str, until: datetime) -> None:
        """Refuse access tokens of ``session_id`` until ``until``."""
        ...

    async def deny_token(self, jti: str, until: datetime) -> None:
        """Refuse the access token ``jti`` until ``until``."""
        ...

    async def is_denied(self, session_id: str, jti: str) -> bool:
        """Whether the session or the token is denied: one look-up (one round trip) for both."""
        ...

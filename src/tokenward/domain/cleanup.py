"""Clean-up: delete sessions, refresh tokens and single-use tokens nobody can use any more.

Runs from ``tokenward cleanup`` and periodically inside the server. With several processes on one database,
a lease makes sure only one runs it at a time; the others skip that round.

What goes (each store decides the details through ``delete_expired``):
- sessions past their absolute end or idle too long, and revoked sessions older than the retention
  (kept that long so the user and the operator can still see what ended and why);
- refresh tokens past their expiry by more than the retention (a rotated token is kept that long so its
  reuse is still recognised and revokes the family);
- whatever other stores register (e.g. single-use e-mail tokens), past their expiry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.email.ports import OneTimeTokenRepository
from tokenward.domain.leases import Leases
from tokenward.domain.mfa.ports import MfaChallengeRepository
from tokenward.domain.sessions.ports import SessionRepository

LEASE_NAME = "cleanup"
#: longer than any clean-up takes; a holder that dies frees the lease after this
LEASE_DURATION = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class CleanupPolicy:
    session_idle_ttl: timedelta
    #: how long revoked sessions and expired refresh tokens are kept before deletion
    retention: timedelta = timedelta(days=7)


class ExpiredRecords(Protocol):
    """A store that can delete what has expired; ``name`` labels its count in the report."""

    name: str

    async def delete_expired(self, now: datetime, policy: CleanupPolicy) -> int:
        """Delete what can no longer be used; return how many records went."""
        ...


@dataclass(frozen=True, slots=True)
class CleanupReport:
    ran: bool
    deleted: dict[str, int]


class CleanupService:
    def __init__(
        self,
        stores: Sequence[ExpiredRecords],
        leases: Leases,
        policy: CleanupPolicy,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._stores = list(stores)
        self._leases = leases
        self._policy = policy
        self._audit = audit
        self._clock = clock

    def add_store(self, store: ExpiredRecords) -> None:
        """Register another store (e.g. single-use tokens) whose expired records are deleted too."""
        self._stores.append(store)

    async def run(self) -> CleanupReport:
        """Delete expired records unless another process is doing it right now (then ``ran`` is False)."""
        async with self._leases.hold(LEASE_NAME, LEASE_DURATION) as acquired:
            if not acquired:
                return CleanupReport(ran=False, deleted={})
            now = self._clock.now()
            deleted = {store.name: await store.delete_expired(now, self._policy) for store in self._stores}
        await self._audit.record(AuditEventType.CLEANUP_COMPLETED, deleted=deleted)
        return CleanupReport(ran=True, deleted=deleted)


class EndedSessions:
    """Sessions past their absolute or idle end, and revoked sessions older than the retention."""

    name = "sessions"

    def __init__(self, sessions: SessionRepository) -> None:
        self._sessions = sessions

    async def delete_expired(self, now: datetime, policy: CleanupPolicy) -> int:
        return await self._sessions.delete_ended(
            now=now, idle_before=now - policy.session_idle_ttl, revoked_before=now - policy.retention
        )


class ExpiredOneTimeTokens:
    """E-mailed single-use tokens (verification, reset, "this was not me") past their expiry."""

    name = "single_use_links"

    def __init__(self, tokens: OneTimeTokenRepository) -> None:
        self._tokens = tokens

    async def delete_expired(self, now: datetime, policy: CleanupPolicy) -> int:
        return await self._tokens.delete_expired(now)


class ExpiredMfaChallenges:
    """Pending second-factor sign-ins past their five minutes."""

    name = "mfa_challenges"

    def __init__(self, challenges: MfaChallengeRepository) -> None:
        self._challenges = challenges

    async def delete_expired(self, now: datetime, policy: CleanupPolicy) -> int:
        return await self._challenges.delete_expired_challenges(now)


class ExpiredRefreshRecords:
    """Refresh-token hashes expired for longer than the retention (reuse of them is no longer recognised)."""

    #: not "refresh_tokens": audit redaction blanks any detail whose key names a token
    name = "refresh_records"

    def __init__(self, sessions: SessionRepository) -> None:
        self._sessions = sessions

    async def delete_expired(self, now: datetime, policy: CleanupPolicy) -> int:
        return await self._sessions.delete_expired_refresh_tokens(now - policy.retention)

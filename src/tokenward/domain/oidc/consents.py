"""Consent: what a user allowed a client that is not first-party, remembered per user, client and scope.

Asked once, then remembered until the user revokes it on the account page; a request for a scope not yet
allowed asks again. First-party clients (run by this server's operator) never ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients import Client
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.oidc.ports import ConsentRepository
from tokenward.errors import NotFound


@dataclass(frozen=True, slots=True)
class Consent:
    user_id: str
    client_id: str
    scopes: frozenset[str]
    granted_at: datetime


class Consents:
    def __init__(self, repository: ConsentRepository, audit: AuditTrail, clock: Clock) -> None:
        self._repository = repository
        self._audit = audit
        self._clock = clock

    async def needed(self, user_id: str, client: Client, scopes: frozenset[str]) -> bool:
        """Whether the user must be asked before ``client`` gets ``scopes``."""
        if client.first_party:
            return False
        consent = await self._repository.get(user_id, client.id)
        return consent is None or not scopes <= consent.scopes

    async def grant(
        self, user_id: str, client: Client, scopes: frozenset[str], context: RequestContext
    ) -> None:
        """Remember that the user allowed ``scopes`` (added to what was allowed before)."""
        previous = await self._repository.get(user_id, client.id)
        allowed = scopes | (previous.scopes if previous else frozenset())
        await self._repository.save(Consent(user_id, client.id, allowed, self._clock.now()))
        await self._audit.record(
            AuditEventType.CONSENT_GRANTED,
            context,
            user_id=user_id,
            client_id=client.id,
            scopes=sorted(allowed),
        )

    async def list_for_user(self, user_id: str) -> list[Consent]:
        return await self._repository.list_for_user(user_id)

    async def revoke(self, user_id: str, client_id: str, context: RequestContext) -> None:
        if not await self._repository.delete(user_id, client_id):
            raise NotFound("No consent for that client")
        await self._audit.record(
            AuditEventType.CONSENT_REVOKED, context, user_id=user_id, client_id=client_id
        )

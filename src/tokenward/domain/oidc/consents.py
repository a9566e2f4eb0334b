"""Consent: what a user allowed a client that is not first-party, remembered per user, client and scope.

Asked once, then remembered until the user removes it (account page or ``DELETE /v1/me/consents/{client_id}``);
a request for a scope not yet allowed asks again. First-party clients (run by this server's operator) never
ask. Removing a client's access also ends every session of that user's tokens the client holds: the consent
page promised the access lasts until it is removed, so a refresh token must not outlive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients import Client, ClientRegistry
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.oidc.ports import ConsentRepository
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import SessionService
from tokenward.errors import NotFound

MAX_CLIENT_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class Consent:
    user_id: str
    client_id: str
    scopes: frozenset[str]
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class AppAccess:
    """A consent as the user sees it: which application, allowed what, since when."""

    client_id: str
    client_name: str
    scopes: frozenset[str]
    granted_at: datetime


class Consents:
    def __init__(
        self,
        repository: ConsentRepository,
        clients: ClientRegistry,
        sessions: SessionService,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._repository = repository
        self._clients = clients
        self._sessions = sessions
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

    async def deny(
        self, user_id: str, client: Client, scopes: frozenset[str], context: RequestContext
    ) -> None:
        """The user refused: nothing is remembered (the next request asks again), only audited."""
        await self._audit.record(
            AuditEventType.CONSENT_DENIED,
            context,
            user_id=user_id,
            client_id=client.id,
            scopes=sorted(scopes),
        )

    async def list_for_user(self, user_id: str) -> list[Consent]:
        return await self._repository.list_for_user(user_id)

    async def apps(self, user_id: str) -> list[AppAccess]:
        """The user's consents with their clients' names (a consent outlives nothing: deleting a client
        deletes its consents, so every one has a client)."""
        apps = []
        for consent in await self._repository.list_for_user(user_id):
            client = await self._clients.find(consent.client_id)
            name = client.name if client is not None else consent.client_id
            apps.append(AppAccess(consent.client_id, name, consent.scopes, consent.granted_at))
        return apps

    async def revoke(self, user_id: str, client_id: str, context: RequestContext) -> int:
        """Forget the consent and end the user's sessions of that client; returns how many ended."""
        if len(client_id) > MAX_CLIENT_ID_CHARS or not await self._repository.delete(user_id, client_id):
            raise NotFound("No consent for that client")
        ended = 0
        for session in await self._sessions.list_sessions(user_id):
            if session.client_id == client_id:
                await self._sessions.end_client_session(session.id, RevokeReason.CONSENT_REVOKED, context)
                ended += 1
        await self._audit.record(
            AuditEventType.CONSENT_REVOKED,
            context,
            user_id=user_id,
            client_id=client_id,
            sessions_ended=ended,
        )
        return ended

"""Registered API clients: resource servers allowed to introspect (and revoke) tokens.

A client authenticates with an id and a secret. The secret is 256 random bits shown once at creation and
stored only as its SHA-256 hash: like a refresh token it has nothing to brute-force, so a fast hash is right and
keeps client authentication cheap on every introspection call (no password-strength hashing per request).
The comparison is constant-time (``hmac.compare_digest``), and an unknown client id is compared against a
dummy hash so that it costs the same as a known one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients.model import ApiClient as ApiClient
from tokenward.domain.clients.model import NewApiClient as NewApiClient
from tokenward.domain.clients.ports import ApiClientRepository as ApiClientRepository
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.errors import InvalidClient, InvalidRequest, NotFound

CLIENT_ID_PREFIX = "twapi-"
#: the `tw?_` shape lets secret scanners and the log redaction recognise a leaked secret
SECRET_PREFIX = "tws_"
_SECRET_BYTES = 32
MAX_NAME_LENGTH = 200
#: compared against when the client id is unknown, so both cases do the same work
#: the scopes a client can be given
KNOWN_SCOPES = frozenset({"admin"})
_DUMMY_HASH = hashlib.sha256(b"tokenward: no such client").hexdigest()


def hash_client_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


#: how long a looked-up client is trusted without asking storage again; a client deleted through another process
#: stops authenticating within this time (through this process: at once)
CLIENT_CACHE_SECONDS = 5
_CLIENT_CACHE_SIZE = 1024


class ApiClientService:
    def __init__(
        self,
        repository: ApiClientRepository,
        audit: AuditTrail,
        clock: Clock,
        *,
        cache_seconds: float = CLIENT_CACHE_SECONDS,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._clock = clock
        self._cache_for = timedelta(seconds=cache_seconds)
        #: client id -> (client, when it was read); introspection authenticates on every request
        self._known: OrderedDict[str, tuple[ApiClient, datetime]] = OrderedDict()

    async def create(self, name: str, scopes: frozenset[str] = frozenset()) -> NewApiClient:
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
            raise InvalidRequest(f"A client name of 1 to {MAX_NAME_LENGTH} printable characters is required")
        unknown = sorted(scopes - KNOWN_SCOPES)
        if unknown:
            raise InvalidRequest(
                f"Unknown scope {unknown[0]!r}; known scopes: {', '.join(sorted(KNOWN_SCOPES))}"
            )
        secret = SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        client = ApiClient(
            id=CLIENT_ID_PREFIX + secrets.token_hex(10),
            name=name,
            secret_hash=hash_client_secret(secret),
            created_at=self._clock.now(),
            scopes=frozenset(scopes),
        )
        await self._repository.add(client)
        await self._audit.record(
            AuditEventType.API_CLIENT_CREATED,
            RequestContext.internal(),
            client_id=client.id,
            name=name,
            scopes=sorted(scopes),
        )
        return NewApiClient(client=client, secret=secret)

    async def list_clients(self) -> list[ApiClient]:
        return await self._repository.list_clients()

    async def delete(self, client_id: str) -> None:
        self._known.pop(client_id, None)
        if not await self._repository.delete(client_id):
            raise NotFound("No API client with that id")
        await self._audit.record(
            AuditEventType.API_CLIENT_DELETED, RequestContext.internal(), client_id=client_id
        )

    async def authenticate(self, client_id: str, secret: str) -> ApiClient:
        """The client, or ``InvalidClient`` with one answer for an unknown id and a wrong secret."""
        client = await self._lookup(client_id) if len(client_id) <= 64 else None
        expected = client.secret_hash if client is not None else _DUMMY_HASH
        matches = hmac.compare_digest(hash_client_secret(secret), expected)
        if client is None or not matches:
            raise InvalidClient("Client authentication failed")
        return client

    async def _lookup(self, client_id: str) -> ApiClient | None:
        now = self._clock.now()
        cached = self._known.get(client_id)
        if cached is not None and now - cached[1] < self._cache_for:
            return cached[0]
        client = await self._repository.get(client_id)
        self._known.pop(client_id, None)
        if client is not None:
            self._known[client_id] = (client, now)
            while len(self._known) > _CLIENT_CACHE_SIZE:
                self._known.popitem(last=False)
        return client

"""The client registry: register, change and remove clients, and authenticate them.

A confidential client's secret is 256 random bits shown once and stored only as its SHA-256 hash: like a
refresh token it has nothing to brute-force, so a fast hash is right and keeps client authentication cheap on
every introspection call. The comparison is constant-time, and an unknown client id is compared against a dummy
hash so that it costs the same as a known one. Looked-up clients are cached for a few seconds (introspection
authenticates on every request); a change made through this process takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clients.model import DEFAULT_SCOPES, KNOWN_SCOPES, Client, ClientType, NewClient
from tokenward.domain.clients.ports import ClientRepository
from tokenward.domain.clients.redirect_uris import check_redirect_uri
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.errors import InvalidClient, InvalidRequest, NotFound

CLIENT_ID_PREFIX = "twc-"
#: the `tw?_` shape lets secret scanners and the log redaction recognise a leaked secret
SECRET_PREFIX = "tws_"
_SECRET_BYTES = 32
MAX_NAME_LENGTH = 200
MAX_CLIENT_ID_LENGTH = 64
MAX_URIS = 20
_DUMMY_HASH = hashlib.sha256(b"tokenward: no such client").hexdigest()
#: how long a looked-up client is trusted without asking storage again (changes through another process)
CLIENT_CACHE_SECONDS = 5
_CLIENT_CACHE_SIZE = 1024


def hash_client_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What a client is registered with; ``None`` in an update leaves that part as it is."""

    redirect_uris: tuple[str, ...] | None = None
    post_logout_redirect_uris: tuple[str, ...] | None = None
    scopes: frozenset[str] | None = None
    first_party: bool | None = None
    name: str | None = None
    #: ``""`` removes it
    backchannel_logout_uri: str | None = None


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise InvalidRequest(f"A client name of 1 to {MAX_NAME_LENGTH} printable characters is required")
    return name


def _checked_uris(uris: Iterable[str]) -> tuple[str, ...]:
    checked = tuple(dict.fromkeys(check_redirect_uri(uri) for uri in uris))
    if len(checked) > MAX_URIS:
        raise InvalidRequest(f"At most {MAX_URIS} redirect URIs per client")
    return checked


def _checked_scopes(scopes: frozenset[str], client_type: ClientType) -> frozenset[str]:
    unknown = sorted(scopes - KNOWN_SCOPES)
    if unknown:
        raise InvalidRequest(f"Unknown scope {unknown[0]!r}; known scopes: {', '.join(sorted(KNOWN_SCOPES))}")
    if "admin" in scopes and client_type is not ClientType.CONFIDENTIAL:
        raise InvalidRequest("Only a confidential client can be given the admin scope")
    return scopes


def _apply(client: Client, settings: ClientSettings) -> Client:
    """``client`` with ``settings`` applied, every part checked."""
    scopes = client.scopes if settings.scopes is None else settings.scopes
    return replace(
        client,
        name=client.name if settings.name is None else _checked_name(settings.name),
        redirect_uris=_checked_uris(
            client.redirect_uris if settings.redirect_uris is None else settings.redirect_uris
        ),
        post_logout_redirect_uris=_checked_uris(
            client.post_logout_redirect_uris
            if settings.post_logout_redirect_uris is None
            else settings.post_logout_redirect_uris
        ),
        scopes=_checked_scopes(scopes, client.type),
        first_party=client.first_party if settings.first_party is None else settings.first_party,
        backchannel_logout_uri=_checked_backchannel_uri(
            client.backchannel_logout_uri, settings.backchannel_logout_uri
        ),
    )


def _checked_backchannel_uri(current: str | None, asked: str | None) -> str | None:
    """The server posts logout tokens there itself: an https URI (plain http only to the loopback
    interface), with no fragment (OpenID Back-Channel Logout §2.2)."""
    if asked is None:
        return current
    if not asked:
        return None
    if not asked.lower().startswith(("https://", "http://")):
        raise InvalidRequest(f"Back-channel logout URI {asked!r} must be an https URI")
    try:
        return check_redirect_uri(asked)
    except InvalidRequest as exc:
        raise InvalidRequest(exc.detail.replace("Redirect URI", "Back-channel logout URI")) from None


class ClientRegistry:
    def __init__(
        self,
        repository: ClientRepository,
        audit: AuditTrail,
        clock: Clock,
        *,
        cache_seconds: float = CLIENT_CACHE_SECONDS,
    ) -> None:
        self._repository = repository
        self._audit = audit
        self._clock = clock
        self._cache_for = timedelta(seconds=cache_seconds)
        self._known: OrderedDict[str, tuple[Client, datetime]] = OrderedDict()
        self._public_uris: tuple[frozenset[str], datetime] | None = None

    async def create(
        self,
        name: str,
        client_type: ClientType = ClientType.CONFIDENTIAL,
        settings: ClientSettings | None = None,
    ) -> NewClient:
        """A new client; a public one without secret, with ``openid email profile`` unless scopes are given."""
        settings = settings or ClientSettings()
        if settings.scopes is None:
            settings = replace(settings, scopes=DEFAULT_SCOPES)
        secret = SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        blank = Client(
            id=CLIENT_ID_PREFIX + secrets.token_hex(10),
            name=_checked_name(name),
            type=client_type,
            secret_hash=hash_client_secret(secret) if client_type is ClientType.CONFIDENTIAL else None,
            created_at=self._clock.now(),
        )
        client = _apply(blank, settings)
        await self._repository.add(client)
        self._public_uris = None
        await self._record(AuditEventType.API_CLIENT_CREATED, client, name=client.name)
        return NewClient(client=client, secret=secret if client.confidential else None)

    async def update(self, client_id: str, settings: ClientSettings) -> Client:
        client = _apply(await self.get(client_id), settings)
        await self._store(client)
        await self._record(AuditEventType.CLIENT_UPDATED, client)
        return client

    async def new_secret(self, client_id: str) -> NewClient:
        """Replace a confidential client's secret; the old one stops working at once (in this process)."""
        client = await self.get(client_id)
        if not client.confidential:
            raise InvalidRequest("A public client has no secret")
        secret = SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        client = replace(client, secret_hash=hash_client_secret(secret))
        await self._store(client)
        await self._record(AuditEventType.CLIENT_UPDATED, client, secret_replaced=True)
        return NewClient(client=client, secret=secret)

    async def get(self, client_id: str) -> Client:
        client = await self._repository.get(client_id) if len(client_id) <= MAX_CLIENT_ID_LENGTH else None
        if client is None:
            raise NotFound("No client with that id")
        return client

    async def list_clients(self) -> list[Client]:
        return await self._repository.list_clients()

    async def delete(self, client_id: str) -> None:
        self._known.pop(client_id, None)
        self._public_uris = None
        if not await self._repository.delete(client_id):
            raise NotFound("No client with that id")
        await self._audit.record(
            AuditEventType.API_CLIENT_DELETED, RequestContext.internal(), client_id=client_id
        )

    async def find(self, client_id: str) -> Client | None:
        """The client with this id (from the short cache), or ``None``; never raises for odd input."""
        if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
            return None
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

    async def public_redirect_uris(self) -> frozenset[str]:
        """Every redirect URI of every public client (their origins may call the token endpoint from a
        browser), read from storage at most once per cache period."""
        now = self._clock.now()
        if self._public_uris is not None and now - self._public_uris[1] < self._cache_for:
            return self._public_uris[0]
        uris = frozenset(
            uri
            for client in await self._repository.list_clients()
            if not client.confidential
            for uri in client.redirect_uris
        )
        self._public_uris = (uris, now)
        return uris

    async def authenticate(self, client_id: str, secret: str) -> Client:
        """A confidential client by its secret, or ``InvalidClient`` with one answer for every failure."""
        client = await self.find(client_id)
        expected = client.secret_hash if client is not None and client.secret_hash else _DUMMY_HASH
        matches = hmac.compare_digest(hash_client_secret(secret), expected)
        if client is None or not client.confidential or not matches:
            raise InvalidClient("Client authentication failed")
        return client

    async def identify_public(self, client_id: str) -> Client:
        """A public client named without a secret (``token_endpoint_auth_method`` ``none``)."""
        client = await self.find(client_id)
        if client is None or client.confidential:
            raise InvalidClient("Client authentication failed")
        return client

    async def _store(self, client: Client) -> None:
        self._known.pop(client.id, None)
        self._public_uris = None
        if not await self._repository.replace(client):
            raise NotFound("No client with that id")

    async def _record(self, event: AuditEventType, client: Client, **details: Any) -> None:
        await self._audit.record(
            event,
            RequestContext.internal(),
            client_id=client.id,
            type=client.type.value,
            redirect_uris=list(client.redirect_uris),
            scopes=sorted(client.scopes),
            first_party=client.first_party,
            backchannel_logout_uri=client.backchannel_logout_uri,
            **details,
        )

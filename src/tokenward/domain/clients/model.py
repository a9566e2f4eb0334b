"""Registered clients: the applications that may ask for tokens (OpenID Connect relying parties) or call the
introspection endpoint (resource servers). Their storage port is in ``ports``.

A *public* client (a single-page or native app) cannot keep a secret, so it has none and proves nothing but
PKCE; a *confidential* client (a server) holds a secret, stored only as its SHA-256 hash. A *first-party*
client is run by the same operator as this server: its users are not asked for consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tokenward.domain.clients.redirect_uris import matches_redirect_uri

#: what a client may be allowed: the OpenID Connect scopes, and ``admin`` (the admin API, confidential only)
KNOWN_SCOPES = frozenset({"openid", "email", "profile", "admin"})
DEFAULT_SCOPES = frozenset({"openid", "email", "profile"})


class ClientType(StrEnum):
    PUBLIC = "public"
    CONFIDENTIAL = "confidential"


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    name: str
    type: ClientType
    #: hex SHA-256 of the secret (confidential clients); ``None`` for a public client
    secret_hash: str | None
    created_at: datetime
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    #: the scopes this client may ask for (or, for ``admin``, use itself)
    scopes: frozenset[str] = frozenset()
    first_party: bool = False
    #: where logout tokens are posted when a session of this client ends (OpenID Back-Channel Logout)
    backchannel_logout_uri: str | None = None

    @property
    def confidential(self) -> bool:
        return self.type is ClientType.CONFIDENTIAL

    def accepts_redirect_uri(self, uri: str) -> bool:
        return matches_redirect_uri(self.redirect_uris, uri)

    def accepts_post_logout_redirect_uri(self, uri: str) -> bool:
        return matches_redirect_uri(self.post_logout_redirect_uris, uri)

    def __repr__(self) -> str:
        return f"Client(id={self.id!r}, name={self.name!r}, type={self.type.value!r})"


@dataclass(frozen=True, slots=True)
class NewClient:
    """A client just created (or its secret just replaced): the only time the secret exists outside the
    caller's hands; ``None`` for a public client."""

    client: Client
    secret: str | None

    def __repr__(self) -> str:
        return f"NewClient(client={self.client!r}, secret=[redacted])"

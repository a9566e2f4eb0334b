"""Registered clients: OpenID Connect relying parties (public or confidential) and resource servers, one
registry; confidential clients authenticate with an id and a secret."""

from tokenward.domain.clients.model import DEFAULT_SCOPES, KNOWN_SCOPES, Client, ClientType, NewClient
from tokenward.domain.clients.ports import ClientRepository
from tokenward.domain.clients.redirect_uris import check_redirect_uri, matches_redirect_uri
from tokenward.domain.clients.registry import ClientRegistry, ClientSettings, hash_client_secret

__all__ = [
    "DEFAULT_SCOPES",
    "KNOWN_SCOPES",
    "Client",
    "ClientRegistry",
    "ClientRepository",
    "ClientSettings",
    "ClientType",
    "NewClient",
    "check_redirect_uri",
    "hash_client_secret",
    "matches_redirect_uri",
]

"""Registered clients: API clients that authenticate with an id and a secret."""

from tokenward.domain.clients.api_clients import ApiClientService, hash_client_secret
from tokenward.domain.clients.model import ApiClient, NewApiClient
from tokenward.domain.clients.ports import ApiClientRepository

__all__ = [
    "ApiClient",
    "ApiClientRepository",
    "ApiClientService",
    "NewApiClient",
    "hash_client_secret",
]

"""A registered API client, and a client just created together with its one-time-shown secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ApiClient:
    id: str
    name: str
    secret_hash: str
    created_at: datetime
    #: what the client may do besides introspection and revocation (``admin``: the admin API)
    scopes: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"ApiClient(id={self.id!r}, name={self.name!r})"


@dataclass(frozen=True, slots=True)
class NewApiClient:
    """A client just created, with its secret: the only time the secret exists outside the caller's hands."""

    client: ApiClient
    secret: str

    def __repr__(self) -> str:
        return f"NewApiClient(client={self.client!r}, secret=[redacted])"

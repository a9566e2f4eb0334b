"""Who is asking, as far as the server can tell: passed from the API into services for audit and sessions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    #: the client address (from proxy headers only when the peer is a trusted proxy)
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def internal(cls) -> RequestContext:
        """Actions started by an operator on the command line."""
        return cls(ip=None, user_agent="tokenward-cli")

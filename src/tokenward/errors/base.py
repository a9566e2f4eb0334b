"""The root of the exception tree, the retry-later branch, and the start-up refusal.

Every class carries a stable snake_case ``code`` that clients may rely on, and the HTTP status the API layer
answers with. ``detail`` must never contain a secret, a password or the submitted token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class TokenwardError(Exception):
    """Base class: anything the service refuses on purpose."""

    code: str = "internal_error"
    status: int = 500
    title: str = "Internal error"
    #: the RFC 6749 ``error`` value used on the OAuth endpoints
    oauth_error: str = "server_error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)

    def headers(self) -> dict[str, str]:
        """Response headers this refusal needs besides its body (none unless a subclass says so)."""
        return {}

    def extensions(self) -> dict[str, Any]:
        """Extension members (RFC 9457 §3.2) added to the problem document after the standard ones."""
        return {}


class RetryLater(TokenwardError):
    """Refused for now, not for good: the answer carries ``Retry-After: retry_after``."""

    retry_after: int = 1

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ConfigurationError(TokenwardError):
    """The settings are unusable or insecure; raised at start-up, never per request."""

    code = "configuration_error"
    title = "Invalid configuration"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def describe_error(error: BaseException) -> str:
    """``Type: first line of the message`` (bounded), the cause as a log line shows it: enough for an operator,
    never a traceback. Shared by the adapters' health tracker and the readiness route."""
    message = (str(error).splitlines() or [""])[0][:200]
    name = type(error).__name__
    cause = error.__cause__
    if not message and cause is not None:
        return f"{name} ({describe_error(cause)})"
    return f"{name}: {message}" if message else name

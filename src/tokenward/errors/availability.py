"""Refused for now, not for good: limits, back-off and stores or keys that are not there.

Each carries what the client needs to come back at the right time (``Retry-After``, the RateLimit headers).
"""

from __future__ import annotations

from tokenward.errors.base import RetryLater, TokenwardError


def rate_limit_headers(policy: str, *, quota: int, window: int, remaining: int, reset: int) -> dict[str, str]:
    """The draft-ietf-httpapi-ratelimit-headers pair: ``RateLimit-Policy: "login";q=30;w=60`` names the quota
    and window, ``RateLimit: "login";r=12;t=41`` says what remains and when the window frees up."""
    return {
        "RateLimit-Policy": f'"{policy}";q={quota};w={window}',
        "RateLimit": f'"{policy}";r={remaining};t={reset}',
    }


class ServiceBusy(RetryLater):
    """Bounded work queue full (password hashing); the client should retry after ``retry_after`` seconds."""

    code = "service_busy"
    status = 503
    title = "Service busy"
    oauth_error = "temporarily_unavailable"

    def __init__(self, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__("Too many requests in progress; retry shortly")


class KeyUnavailable(TokenwardError):
    code = "key_unavailable"
    status = 503
    title = "No signing key available"
    oauth_error = "temporarily_unavailable"


class RateLimited(RetryLater):
    """A per-route limit for the client's address is exhausted; carries what the RateLimit headers need."""

    code = "rate_limited"
    status = 429
    title = "Too many requests"
    oauth_error = "slow_down"

    def __init__(self, *, policy: str, limit: int, window: int, retry_after: int) -> None:
        self.policy = policy
        self.limit = limit
        self.window = window
        self.retry_after = max(retry_after, 1)
        super().__init__(f"Too many requests; retry after {self.retry_after} seconds")

    def headers(self) -> dict[str, str]:
        limit = rate_limit_headers(
            self.policy, quota=self.limit, window=self.window, remaining=0, reset=self.retry_after
        )
        return super().headers() | limit


class TooManyAttempts(RetryLater):
    """Sign-in attempts for this account (or from this address) must wait; the same for unknown accounts."""

    code = "too_many_attempts"
    status = 429
    title = "Too many attempts"
    oauth_error = "slow_down"

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(retry_after, 1)
        super().__init__(f"Too many attempts; retry after {self.retry_after} seconds")


class DependencyUnavailable(RetryLater):
    """A shared store (Redis) does not answer: refuse rather than skip a revocation or a limit check."""

    code = "dependency_unavailable"
    status = 503
    title = "Service temporarily unavailable"
    oauth_error = "temporarily_unavailable"

    def __init__(self, dependency: str, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__(f"{dependency} is not answering; retry shortly")


class SmsUnavailable(RetryLater):
    """The SMS gateway did not accept the message; nothing was enrolled or changed."""

    code = "sms_unavailable"
    status = 503
    title = "Text messages cannot be sent right now"
    oauth_error = "temporarily_unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 30) -> None:
        self.retry_after = retry_after
        super().__init__(detail or "The SMS gateway did not accept the message; try again shortly")


class CodeSendLimited(RetryLater):
    """Too many one-time codes were sent to this account or this number lately (toll-fraud protection)."""

    code = "code_send_limited"
    status = 429
    title = "Too many codes sent"
    oauth_error = "slow_down"

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(retry_after, 1)
        super().__init__(f"Too many codes were sent; retry after {self.retry_after} seconds")

"""Abuse protection: throttling by account and by client IP, back-off, credential-stuffing detection."""

from tokenward.domain.abuse.model import Decision, Rate
from tokenward.domain.abuse.ports import DistinctCounter, RateLimiter, ThrottleMetrics
from tokenward.domain.abuse.throttle import NoMetrics, Throttle, ThrottlePolicy

__all__ = [
    "Decision",
    "DistinctCounter",
    "NoMetrics",
    "Rate",
    "RateLimiter",
    "Throttle",
    "ThrottleMetrics",
    "ThrottlePolicy",
]

"""Per-route rate limits as a FastAPI dependency, and the ``RateLimit`` headers of every answer.

The headers follow draft-ietf-httpapi-ratelimit-headers (``tokenward.errors.rate_limit_headers``). A refused
request gets 429 with ``Retry-After`` and the same headers, from ``RateLimited.headers()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from tokenward.api.auth import Context, Services
from tokenward.api.refusals import refuses
from tokenward.domain.abuse.model import Decision
from tokenward.errors import DependencyUnavailable, RateLimited, rate_limit_headers


def decision_headers(policy: str, decision: Decision) -> dict[str, str]:
    return rate_limit_headers(
        policy,
        quota=decision.rate.amount,
        window=decision.rate.seconds,
        remaining=decision.remaining,
        reset=decision.reset_after,
    )


def rate_limited(route: str) -> Callable[..., Awaitable[None]]:
    """A dependency that counts the request against ``route``'s limits for the client address.

    ``route`` is one of ``config.RATE_LIMITED_ROUTES``: its limits are the ``TOKENWARD_RATE_LIMIT_<ROUTE>``
    setting, so a new limited route is one ``rate_limit_<route>`` field in ``Settings`` and this dependency.
    """

    @refuses(RateLimited, DependencyUnavailable)
    async def dependency(services: Services, context: Context, request: Request) -> None:
        if services.throttle is None:
            return
        decision = await services.throttle.check_route(route, context)
        if decision is not None:
            # whatever answer the route ends with (a model, its own Response, an error), the
            # ``EdgeMiddleware`` adds these to it
            request.state.rate_limit_headers = decision_headers(route, decision)

    return dependency

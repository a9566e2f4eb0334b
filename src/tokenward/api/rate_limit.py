"""Per-route rate limits as a FastAPI dependency, and the ``RateLimit`` headers.

The headers follow draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy: "login";q=30;w=60`` names the
quota and window, ``RateLimit: "login";r=12;t=41`` says what remains and when the window frees up. A refused
request gets 429 with ``Retry-After`` (see ``problems``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from tokenward.api.auth import Context, Services
from tokenward.domain.abuse.throttle import Decision


def rate_limit_headers(policy: str, decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{policy}";q={decision.rate.amount};w={decision.rate.seconds}',
        "RateLimit": f'"{policy}";r={decision.remaining};t={decision.reset_after}',
    }


def rate_limited(route: str) -> Callable[..., Awaitable[None]]:
    """A dependency that counts the request against ``route``'s limits for the client address.

    ``route`` is one of ``config.RATE_LIMITED_ROUTES``: its limits are the ``TOKENWARD_RATE_LIMIT_<ROUTE>``
    setting, so a new limited route is one ``rate_limit_<route>`` field in ``Settings`` and this dependency.
    """

    async def dependency(services: Services, context: Context, request: Request) -> None:
        if services.throttle is None:
            return
        decision = await services.throttle.check_route(route, context)
        if decision is not None:
            # whatever answer the route ends with (a model, its own Response, an error), the
            # ``ResponseHeadersMiddleware`` adds these to it
            request.state.rate_limit_headers = rate_limit_headers(route, decision)

    return dependency

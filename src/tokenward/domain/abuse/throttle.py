"""Abuse protection: per-route rate limits, per-account back-off and credential-stuffing detection.

Three layers, all shared between processes when Redis is configured (the counters live in the ``RateLimiter``
and ``DistinctCounter`` ports, not in this object):

1. **Per-route limits per client address** (``check_route``): every limited endpoint counts requests per IP
   before doing any work, so a flood is refused before a password is hashed.
2. **Per-account back-off** (``before_attempt`` / ``attempt_failed`` / ``attempt_succeeded``): attempts are
   counted per normalised account identifier, both per (account, address) and per account from everywhere. The
   attempt is *reserved before* the password is checked — an atomic acquire — so 50 parallel guesses cannot get
   more tries through than the limit, and a success clears the account's counters. Unknown accounts are counted
   exactly like real ones, so the throttle tells nothing about who exists. The windows are sliding and short
   for one address, so an attacker locks out only their own address; the account-wide cap (NIST SP 800-63B: at
   most 100 failures per hour) only bites an attacker using many addresses, and it ends on its own when the
   window slides — there is no permanent lock anyone can impose.
3. **Credential stuffing** (``attempt_failed``): one address failing on many *different* accounts within a
   window is blocked from signing in for a while and recorded once as a security event.

Throttling decisions are audited once per key and window, never once per rejected request: an audit row per
rejection would let a flood amplify itself into database writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tokenward.domain.abuse.model import Decision, Rate
from tokenward.domain.abuse.ports import DistinctCounter, RateLimiter, ThrottleMetrics
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.context import RequestContext
from tokenward.errors import RateLimited, TooManyAttempts

UNKNOWN_ADDRESS = "unknown"


class NoMetrics:
    def rejected(self, layer: str, policy: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    #: per-route limits per client address, by route name (``login``, ``signup``, ``refresh`` ...)
    routes: dict[str, tuple[Rate, ...]] = field(default_factory=dict)
    #: failed-attempt limits for one account from one address (progressive: short window first)
    account_per_address: tuple[Rate, ...] = (Rate(5, 60), Rate(20, 3600))
    #: failed-attempt limits for one account from every address (NIST SP 800-63B: at most 100 per hour)
    account: tuple[Rate, ...] = (Rate(10, 60), Rate(100, 3600))
    #: this many different accounts failing from one address within the window is credential stuffing
    stuffing_accounts: int = 20
    stuffing_window_seconds: int = 600
    stuffing_block_seconds: int = 900


def account_key(identifier: str) -> str:
    """Counters are keyed by a hash of the normalised identifier: the shared store never holds e-mail addresses."""
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32]


class Throttle:
    def __init__(
        self,
        *,
        limiter: RateLimiter,
        distinct: DistinctCounter,
        policy: ThrottlePolicy,
        audit: AuditTrail,
        metrics: ThrottleMetrics | None = None,
    ) -> None:
        self._limiter = limiter
        self._distinct = distinct
        self._policy = policy
        self._audit = audit
        self._metrics = metrics or NoMetrics()

    @property
    def policy(self) -> ThrottlePolicy:
        return self._policy

    @property
    def limiter(self) -> RateLimiter:
        """The shared counters, for limits of another kind (one-time code sends) kept in the same store."""
        return self._limiter

    # 1. per-route, per-address --------------------------------------------------------------------------

    async def check_route(self, route: str, context: RequestContext) -> Decision | None:
        """Count this request against the route's limits; raise ``RateLimited`` when any is exhausted.

        Returns the tightest decision (for the ``RateLimit`` headers), or ``None`` for an unlimited route.
        """
        rates = self._policy.routes.get(route, ())
        address = context.ip or UNKNOWN_ADDRESS
        tightest: Decision | None = None
        for rate in rates:
            decision = await self._limiter.acquire(rate, f"route:{route}:{rate}:{address}")
            if not decision.allowed:
                self._metrics.rejected("route", route)
                if await self._first_refusal(f"route:{route}:{address}", rate):
                    await self._audit.record(
                        AuditEventType.RATE_LIMITED, context, outcome="refused", route=route, limit=str(rate)
                    )
                raise RateLimited(
                    policy=route, limit=rate.amount, window=rate.seconds, retry_after=decision.retry_after
                )
            if tightest is None or decision.remaining < tightest.remaining:
                tightest = decision
        return tightest

    # 2. per-account back-off and 3. stuffing -------------------------------------------------------------

    async def before_attempt(
        self, identifier: str, context: RequestContext, *, purpose: str = "password"
    ) -> None:
        """Reserve one attempt for this account; raise ``TooManyAttempts`` when it must wait.

        Call before any password hashing or code check. ``purpose`` keeps separate counters for passwords,
        second factors and reset e-mails. Also refuses an address blocked for credential stuffing.
        """
        address = context.ip or UNKNOWN_ADDRESS
        block = await self._limiter.peek(self._block_rate, f"stuffing-block:{address}")
        if not block.allowed:
            self._metrics.rejected("stuffing", purpose)
            raise TooManyAttempts(retry_after=block.retry_after)
        account = account_key(identifier)
        for scope, rates, key in (
            ("account_per_address", self._policy.account_per_address, f"{purpose}:{account}:{address}"),
            ("account", self._policy.account, f"{purpose}:{account}"),
        ):
            for rate in rates:
                decision = await self._limiter.acquire(rate, f"attempts:{key}:{rate}")
                if not decision.allowed:
                    self._metrics.rejected(scope, purpose)
                    if await self._first_refusal(f"throttled:{key}", rate):
                        await self._audit.record(
                            AuditEventType.ACCOUNT_THROTTLED,
                            context,
                            outcome="refused",
                            scope=scope,
                            purpose=purpose,
                            account=account,
                            limit=str(rate),
                        )
                    raise TooManyAttempts(retry_after=decision.retry_after)

    async def attempt_failed(self, identifier: str, context: RequestContext) -> None:
        """After a failed password: feed the stuffing detector (the attempt itself was counted before)."""
        address = context.ip or UNKNOWN_ADDRESS
        distinct = await self._distinct.add(
            f"stuffing:{address}", account_key(identifier), self._policy.stuffing_window_seconds
        )
        if distinct >= self._policy.stuffing_accounts:
            started = await self._limiter.acquire(self._block_rate, f"stuffing-block:{address}")
            if started.allowed:
                await self._audit.record(
                    AuditEventType.CREDENTIAL_STUFFING_DETECTED,
                    context,
                    outcome="source_blocked",
                    distinct_accounts=distinct,
                    window_seconds=self._policy.stuffing_window_seconds,
                    blocked_seconds=self._policy.stuffing_block_seconds,
                )

    async def attempt_succeeded(
        self, identifier: str, context: RequestContext, *, purpose: str = "password"
    ) -> None:
        """A success ends the back-off for this account, from this address and overall."""
        address = context.ip or UNKNOWN_ADDRESS
        account = account_key(identifier)
        for key, rates in (
            (f"{purpose}:{account}:{address}", self._policy.account_per_address),
            (f"{purpose}:{account}", self._policy.account),
        ):
            for rate in rates:
                await self._limiter.reset(rate, f"attempts:{key}:{rate}")

    @property
    def _block_rate(self) -> Rate:
        return Rate(1, self._policy.stuffing_block_seconds)

    async def _first_refusal(self, key: str, rate: Rate) -> bool:
        """Whether this is the first refusal under ``key`` in the rate's window: only that one is audited."""
        first = await self._limiter.acquire(Rate(1, rate.seconds), f"reported:{key}:{rate}")
        return first.allowed

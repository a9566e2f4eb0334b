"""TokenRefusals: every refused access token's reason reaches the audit trail, but a flood cannot fill it."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fakes import FakeAuditRepository
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.context import RequestContext
from tokenward.domain.tokens.refusals import TokenRefusals

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ATTACKER = RequestContext(ip="203.0.113.9", user_agent="probe/1.0")


def refusals(budget: int = 60) -> tuple[TokenRefusals, FakeAuditRepository, FrozenClock]:
    clock = FrozenClock(NOW)
    repository = FakeAuditRepository()
    return TokenRefusals(AuditTrail([repository], clock), clock, budget=budget), repository, clock


async def test_a_refusal_is_recorded_with_its_reason_and_address() -> None:
    reports, repository, _ = refusals()
    assert await reports.refused("bad_signature", ATTACKER) is True
    [event] = await repository.list_events(event_type="access_token_refused")
    assert (event.outcome, event.ip, event.details) == ("refused", "203.0.113.9", {"reason": "bad_signature"})


async def test_a_flood_of_one_forgery_is_recorded_once_per_window() -> None:
    """Attack: a thousand forged tokens a minute must not become a thousand audit rows."""
    reports, repository, clock = refusals()
    recorded = [await reports.refused("alg_not_allowed", ATTACKER) for _ in range(1000)]
    assert recorded.count(True) == 1
    assert await reports.refused("bad_signature", ATTACKER) is True  # another rule is news
    clock.advance(60)
    assert await reports.refused("alg_not_allowed", ATTACKER) is True  # and so is the next window
    assert len(await repository.list_events(event_type="access_token_refused")) == 3


async def test_many_addresses_cannot_spend_more_than_the_budget() -> None:
    """Attack: vary the source address so that every forgery looks new; the window's budget caps the rows."""
    reports, repository, clock = refusals(budget=5)
    for n in range(50):
        await reports.refused("bad_signature", RequestContext(ip=f"2001:db8::{n:x}"))
    assert len(await repository.list_events(event_type="access_token_refused")) == 5
    clock.advance(60)
    assert await reports.refused("bad_signature", ATTACKER) is True

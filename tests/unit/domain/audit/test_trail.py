"""AuditTrail: the one entry point stamps its own clock, fills in who asked, and redacts before any sink."""

from __future__ import annotations

import pytest

from tests.fakes import FakeAuditRepository
from tokenward.domain.audit.events import REDACTED, AuditEvent, AuditEventType, AuditTrail
from tokenward.domain.clock import FrozenClock
from tokenward.domain.context import RequestContext

CONTEXT = RequestContext(ip="198.51.100.4", user_agent="curl/8.5")


async def test_record_builds_the_event_from_the_call_the_clock_and_the_context() -> None:
    clock, sink = FrozenClock(), FakeAuditRepository()
    trail = AuditTrail([sink], clock)

    await trail.record(
        AuditEventType.LOGIN_FAILED,
        CONTEXT,
        outcome="failure",
        user_id="user-1",
        session_id="session-1",
        reason="invalid_credentials",
        known_account=True,
    )

    assert await sink.list_events() == [
        AuditEvent(
            type="login_failed",
            at=clock.now(),
            outcome="failure",
            user_id="user-1",
            session_id="session-1",
            ip="198.51.100.4",
            user_agent="curl/8.5",
            details={"reason": "invalid_credentials", "known_account": True},
        )
    ]


async def test_without_a_request_there_is_no_address_and_the_outcome_is_success() -> None:
    clock, sink = FrozenClock(), FakeAuditRepository()
    clock.advance(3600)

    await AuditTrail([sink], clock).record(AuditEventType.CLEANUP_COMPLETED, deleted={"sessions": 2})

    (event,) = await sink.list_events()
    assert (event.at, event.outcome, event.ip, event.user_agent, event.user_id) == (
        clock.now(),
        "success",
        None,
        None,
        None,
    )
    assert event.details == {"deleted": {"sessions": 2}}


@pytest.mark.threat("T-API-02")
async def test_secrets_placed_in_details_by_mistake_reach_no_sink() -> None:
    """A careless caller hands a password and a token to the trail: every sink gets them redacted."""
    sinks = [FakeAuditRepository(), FakeAuditRepository()]
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"

    await AuditTrail(sinks, FrozenClock()).record(
        AuditEventType.PASSWORD_CHANGED,
        RequestContext(ip=None, user_agent=f"agent {token}"),
        password="hunter2 hunter2",
        note=f"came with {token}",
        kept="plain words",
    )

    for sink in sinks:
        (event,) = await sink.list_events()
        assert event.details == {"password": REDACTED, "note": f"came with {REDACTED}", "kept": "plain words"}
        assert event.user_agent == f"agent {REDACTED}"

"""Clean-up through the running service: expired sessions go, live ones stay, one runner at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.harness import RunningApp, bearer, make_settings, running_app
from tokenward.domain.audit.events import AuditEventType


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("cleanup"),
        rate_limits_enabled=False,
        background_tasks=False,
        session_idle_ttl=3600,
        session_absolute_ttl=7200,
        cleanup_retention=600,
    )
    async with running_app(settings) as running:
        yield running


@pytest.mark.threat("T-LIF-08")
async def test_idle_and_revoked_sessions_are_deleted_and_live_ones_kept(api: RunningApp) -> None:
    email, idle = await api.new_user()
    revoked = await api.login(email)
    await api.client.post("/v1/logout", headers=bearer(revoked["access_token"]))
    api.clock.advance(3000)
    live = await api.login(email)
    api.clock.advance(700)  # idle past 3600 s; revoked 3700 s ago (> 600 s retention); live used 700 s ago

    report = await api.container.cleanup.run()

    assert report.ran is True
    assert report.deleted["sessions"] == 2
    assert (await api.refresh(idle["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await api.refresh(live["refresh_token"])).status_code == 200
    events = await api.container.audit_log.list_events(event_type=AuditEventType.CLEANUP_COMPLETED)
    assert events[0].details["deleted"]["sessions"] == 2


@pytest.mark.threat("T-LIF-07")
async def test_only_one_clean_up_runs_at_a_time(api: RunningApp) -> None:
    reports = await asyncio.gather(*(api.container.cleanup.run() for _ in range(4)))
    assert sum(report.ran for report in reports) >= 1
    assert all(report.ran or report.deleted == {} for report in reports)


async def test_an_expired_session_is_not_listed_even_before_clean_up(api: RunningApp) -> None:
    email, first = await api.new_user()
    api.clock.advance(3000)
    second = await api.login(email)
    api.clock.advance(601)  # the first session has been idle for 3601 s, the second for 601 s
    refreshed = await api.refresh(second["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text

    listed = await api.client.get("/v1/me/sessions", headers=bearer(refreshed.json()["access_token"]))

    assert [s["id"] for s in listed.json()["sessions"]] == [second["session_id"]]
    assert first["session_id"] not in listed.text

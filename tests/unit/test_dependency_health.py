"""The dependency-health tracker: one line when a dependency goes down, one when it is back, few tracebacks."""

from __future__ import annotations

from typing import Any

import pytest

from tokenward.adapters.health import DependencyHealth
from tokenward.errors import describe_error


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append(("warning", event, fields))

    def error(self, event: str, **fields: Any) -> None:
        self.lines.append(("error", event, fields))

    def events(self) -> list[str]:
        return [event for _, event, _ in self.lines]


class ManualClock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def ticks() -> ManualClock:
    return ManualClock()


@pytest.fixture
def log() -> RecordingLog:
    return RecordingLog()


@pytest.fixture
def health(ticks: ManualClock, log: RecordingLog) -> DependencyHealth:
    return DependencyHealth(now=ticks, logger=log)


def test_an_outage_is_one_line_down_and_one_line_up_whatever_the_failures(
    health: DependencyHealth, ticks: ManualClock, log: RecordingLog
) -> None:
    for _ in range(500):
        health.failed("database", ConnectionRefusedError(111, "Connect call failed"))
        ticks.seconds += 0.01
    health.succeeded("database")
    health.succeeded("database")

    assert log.events().count("dependency_down") == 1
    assert log.events().count("dependency_up") == 1
    down = next(fields for _, event, fields in log.lines if event == "dependency_down")
    up = next(fields for _, event, fields in log.lines if event == "dependency_up")
    assert down == {
        "dependency": "database",
        "cause": "ConnectionRefusedError: [Errno 111] Connect call failed",
    }
    assert up["failures"] == 500
    assert up["down_seconds"] == pytest.approx(5.0)
    assert up["cause"] == down["cause"]


def test_one_traceback_per_distinct_error_per_minute(
    health: DependencyHealth, ticks: ManualClock, log: RecordingLog
) -> None:
    refused = ConnectionRefusedError(111, "Connect call failed")
    reset = ConnectionResetError(104, "Connection reset by peer")
    for _ in range(100):
        health.failed("database", refused)
        health.failed("database", reset)
    tracebacks = [fields for level, event, fields in log.lines if event == "dependency_error"]
    assert [fields["cause"] for fields in tracebacks] == [describe_error(refused), describe_error(reset)]
    assert all(fields["exc_info"] is not None for fields in tracebacks)

    ticks.seconds += 59
    health.failed("database", refused)
    assert log.events().count("dependency_error") == 2
    ticks.seconds += 1
    health.failed("database", refused)
    assert log.events().count("dependency_error") == 3


def test_dependencies_are_tracked_apart(health: DependencyHealth, log: RecordingLog) -> None:
    health.failed("redis", TimeoutError("timed out"))
    assert health.is_down("redis")
    assert not health.is_down("database")
    health.succeeded("database")  # the database never went down: nothing to say
    assert log.events() == ["dependency_down", "dependency_error"]
    health.succeeded("redis")
    assert not health.is_down("redis")
    assert log.events()[-1] == "dependency_up"


def test_a_second_outage_is_logged_again(health: DependencyHealth, log: RecordingLog) -> None:
    for _ in range(2):
        health.failed("redis", OSError("no route to host"))
        health.succeeded("redis")
    assert log.events().count("dependency_down") == 2
    assert log.events().count("dependency_up") == 2


def test_the_cause_of_a_wrapper_without_a_message_is_its_cause() -> None:
    outer = TimeoutError()
    outer.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    assert (
        describe_error(outer) == "TimeoutError (ConnectionResetError: [Errno 104] Connection reset by peer)"
    )
    assert len(describe_error(ValueError("x" * 1000))) < 250

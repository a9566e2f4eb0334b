"""Start-up waits for the database with back-off, then gives up naming where it looked and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import free_port
from tokenward.adapters.health import DependencyHealth
from tokenward.adapters.startup import DatabaseNotAnswering, wait_for_database


class FakeTime:
    """``now`` and ``sleep`` for the waiting loop: sleeping moves the time, nothing really waits."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.seconds += seconds


async def test_it_backs_off_then_gives_up_naming_the_host_and_the_cause() -> None:
    port = free_port()  # nothing listens there
    time = FakeTime()
    with pytest.raises(DatabaseNotAnswering) as refused:
        await wait_for_database(
            f"postgresql://tw@127.0.0.1:{port}/tokenward",
            within=30,
            health=DependencyHealth(),
            now=time.now,
            sleep=time.sleep,
        )
    assert refused.value.location == f"127.0.0.1:{port}"
    assert refused.value.cause.startswith("ConnectionRefusedError")
    assert str(refused.value).startswith(f"the database at 127.0.0.1:{port} did not answer within 30 s:")
    assert time.sleeps[:5] == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert max(time.sleeps) == 5.0
    assert sum(time.sleeps) == pytest.approx(30)


async def test_sqlite_has_nothing_to_wait_for(tmp_path: Path) -> None:
    time = FakeTime()
    await wait_for_database(f"sqlite:///{tmp_path / 'tw.db'}", within=30, now=time.now, sleep=time.sleep)
    assert time.sleeps == []

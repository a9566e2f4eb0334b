"""The hashing pool: work runs off the event loop, concurrency is capped, and overflow fails fast."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from tokenward.domain.accounts.passwords import Argon2Parameters, HashingPool, PasswordHasher
from tokenward.errors import ServiceBusy

TIMEOUT = 10.0


class Gate:
    """A blocking fake for a hash: records how many run at once and holds them until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._started = threading.Semaphore(0)
        self.running = 0
        self.peak = 0
        self.calls = 0

    def __call__(self, value: int) -> int:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        self._started.release()
        try:
            if not self.release.wait(TIMEOUT):
                raise TimeoutError("the test never released the gate")
            return value
        finally:
            with self._lock:
                self.running -= 1

    async def started(self, count: int) -> None:
        """Wait (without blocking the loop) until ``count`` more calls have entered."""
        for _ in range(count):
            assert await asyncio.to_thread(self._started.acquire, True, TIMEOUT)


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def pool(gate: Gate) -> Iterator[HashingPool]:
    pool = HashingPool(max_concurrent=2, max_waiting=10)
    yield pool
    gate.release.set()
    pool.close()


def test_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        HashingPool(max_concurrent=0, max_waiting=1)
    with pytest.raises(ValueError, match="max_waiting"):
        HashingPool(max_concurrent=1, max_waiting=-1)


async def test_run_returns_the_result(pool: HashingPool) -> None:
    assert await pool.run(divmod, 17, 5) == (3, 2)
    assert (pool.in_flight, pool.waiting) == (0, 0)


async def test_run_propagates_exceptions_and_frees_the_place(pool: HashingPool) -> None:
    with pytest.raises(ZeroDivisionError):
        await pool.run(divmod, 1, 0)
    assert (pool.in_flight, pool.waiting) == (0, 0)


async def test_runs_in_a_worker_thread_not_on_the_loop(pool: HashingPool) -> None:
    name = await pool.run(lambda: threading.current_thread().name)
    assert name != threading.current_thread().name
    assert name.startswith("tw-hashing")


async def test_no_more_than_max_concurrent_run_at_once(pool: HashingPool, gate: Gate) -> None:
    tasks = [asyncio.create_task(pool.run(gate, i)) for i in range(12)]
    await gate.started(2)
    await asyncio.sleep(0)
    assert (pool.in_flight, pool.waiting) == (2, 10)
    assert gate.running == 2
    gate.release.set()
    assert await asyncio.gather(*tasks) == list(range(12))
    assert gate.peak == 2
    assert gate.calls == 12
    assert (pool.in_flight, pool.waiting) == (0, 0)


async def test_overflow_fails_fast_with_service_busy(pool: HashingPool, gate: Gate) -> None:
    tasks = [asyncio.create_task(pool.run(gate, i)) for i in range(200)]
    await gate.started(2)
    await asyncio.sleep(0)
    refused = [task for task in tasks if task.done()]
    assert len(refused) == 188
    for task in refused:
        error = task.exception()
        assert isinstance(error, ServiceBusy)
        assert error.retry_after == 1
    assert pool.rejected_total == 188
    assert (pool.in_flight, pool.waiting) == (2, 10)  # nothing beyond the bound was queued

    gate.release.set()
    accepted = [task for task in tasks if not task.done()]
    assert await asyncio.gather(*accepted) == list(range(12))
    assert gate.calls == 12

    # the bound is a limit on current work, not a quota: once drained, work is accepted again
    assert await pool.run(gate, 99) == 99


async def test_refusal_is_immediate_without_awaiting(gate: Gate) -> None:
    pool = HashingPool(max_concurrent=1, max_waiting=0, retry_after=3)
    try:
        running = asyncio.create_task(pool.run(gate, 1))
        await gate.started(1)
        with pytest.raises(ServiceBusy) as caught:
            await pool.run(gate, 2)
        assert caught.value.retry_after == 3
        gate.release.set()
        assert await running == 1
    finally:
        gate.release.set()
        pool.close()


async def test_event_loop_stays_responsive_while_hashing(gate: Gate) -> None:
    pool = HashingPool(max_concurrent=1, max_waiting=0)
    try:
        task = asyncio.create_task(pool.run(gate, 7))
        await gate.started(1)
        ticks = 0
        for _ in range(50):  # the loop keeps turning while the worker is blocked
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 50
        assert not task.done()
        gate.release.set()
        assert await task == 7
    finally:
        gate.release.set()
        pool.close()


async def test_cancelled_waiter_gives_its_place_back(gate: Gate) -> None:
    pool = HashingPool(max_concurrent=1, max_waiting=1)
    try:
        running = asyncio.create_task(pool.run(gate, 1))
        await gate.started(1)
        waiter = asyncio.create_task(pool.run(gate, 2))
        await asyncio.sleep(0)
        assert pool.waiting == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert pool.waiting == 0
        replacement = asyncio.create_task(pool.run(gate, 3))
        await asyncio.sleep(0)
        assert not replacement.done()  # accepted, not refused
        gate.release.set()
        assert await running == 1
        assert await replacement == 3
        assert gate.calls == 2  # the cancelled call never ran
    finally:
        gate.release.set()
        pool.close()


async def test_closed_pool_refuses_work() -> None:
    pool = HashingPool(max_concurrent=1, max_waiting=1)
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        await pool.run(divmod, 1, 1)


async def test_with_the_real_hasher(pool: HashingPool) -> None:
    hasher = PasswordHasher(Argon2Parameters.for_tests())
    stored = await pool.run(hasher.hash, "violet tractor")
    assert (await pool.run(hasher.verify, stored, "violet tractor")).ok is True
    assert (await pool.run(hasher.verify, stored, "wrong")).ok is False
    assert await pool.run(hasher.dummy_verify, "anything") is None  # type: ignore[func-returns-value]

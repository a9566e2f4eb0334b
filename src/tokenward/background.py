"""Periodic tasks inside the server process: the key-rotation step, key-ring reload and clean-up.

Independent of the web framework: the composition root starts them in the application's lifespan and stops
them on shutdown. Each task sleeps its interval, runs, and logs (never raises) a failure, so one bad round of
clean-up cannot stop key rotation or take the process down. Coordination between processes is not done here:
the tasks themselves take database leases where only one process may act.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tokenward.adapters.logging import get_logger

_log = get_logger("tokenward.background")


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    name: str
    interval_seconds: float
    action: Callable[[], Awaitable[object]]


class BackgroundTasks:
    def __init__(self, tasks: list[PeriodicTask]) -> None:
        self._tasks = tasks
        self._running: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if self._running:
            raise RuntimeError("background tasks already started")
        self._running = [asyncio.create_task(self._loop(task), name=task.name) for task in self._tasks]

    async def stop(self) -> None:
        for running in self._running:
            running.cancel()
        for running in self._running:
            with contextlib.suppress(asyncio.CancelledError):
                await running
        self._running = []

    async def _loop(self, task: PeriodicTask) -> None:
        while True:
            await asyncio.sleep(task.interval_seconds)
            try:
                result = await task.action()
            except Exception as exc:  # logged and retried next round; never kills the loop
                _log.error("background_task_failed", task=task.name, error_type=type(exc).__name__)
            else:
                if result:
                    _log.info("background_task_done", task=task.name, result=str(result))

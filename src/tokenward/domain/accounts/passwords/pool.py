"""Bounded, off-event-loop execution of password hashing.

One Argon2 computation holds about 19 MiB and tens of milliseconds of CPU. Run on the event loop it would
stall every other request; run in an unbounded queue, a flood of sign-ins would pile up work (and memory)
without limit. This pool runs the work in its own threads (argon2-cffi releases the GIL), lets at most
``max_concurrent`` run and ``max_waiting`` wait, and refuses anything beyond that at once with
:class:`~tokenward.errors.ServiceBusy`, without queueing it. Memory stays bounded whatever the load, and the
client gets a fast 503 with ``Retry-After`` instead of a time-out.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from tokenward.errors import ServiceBusy

T = TypeVar("T")


class HashingPool:
    """A fixed set of worker threads with a hard limit on accepted work.

    The admission count is kept under a thread lock (not an asyncio primitive), so one pool can serve any
    event loop, and a caller cancelled while waiting gives its place back at once.
    """

    def __init__(self, max_concurrent: int, max_waiting: int, *, retry_after: int = 1) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if max_waiting < 0:
            raise ValueError("max_waiting must not be negative")
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting
        self.retry_after = retry_after
        # Exactly max_concurrent workers: the executor's own queue then holds at most max_waiting items.
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="tw-hashing")
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self._rejected = 0
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Calls running in a worker thread right now."""
        with self._lock:
            return self._running

    @property
    def waiting(self) -> int:
        """Calls accepted and waiting for a free worker."""
        with self._lock:
            return self._admitted - self._running

    @property
    def rejected_total(self) -> int:
        """Calls refused with ``ServiceBusy`` since the pool started (a counter for metrics)."""
        with self._lock:
            return self._rejected

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker thread and return its result.

        Raises :class:`ServiceBusy` immediately when ``max_concurrent + max_waiting`` calls are already
        accepted, and ``RuntimeError`` after :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the hashing pool is closed")
            if self._admitted >= self.max_concurrent + self.max_waiting:
                self._rejected += 1
                raise ServiceBusy(retry_after=self.retry_after)
            self._admitted += 1
        try:
            future = self._executor.submit(self._call, fn, args)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._on_done)
        return await asyncio.wrap_future(future)

    def close(self, *, wait: bool = True) -> None:
        """Stop accepting work, cancel what has not started and (by default) wait for running calls to end."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._lock:
            self._running += 1
        try:
            return fn(*args)
        finally:
            # The place is free as soon as fn returns and its memory is released, before the caller resumes.
            with self._lock:
                self._running -= 1
                self._admitted -= 1

    def _on_done(self, future: Future[Any]) -> None:
        # A call cancelled before it started (caller gone, or close()) never reached _call: free its place.
        if future.cancelled():
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

"""The open unit of work of a task: the transaction that ``Database.atomic`` began and its repositories join.

Which calls join is decided by the task, not by the caller passing a connection around: the domain's
services do not know connections (``domain/transactions.py``). A context variable holds the open unit, and a
repository's ``write``/``read`` joins it only

* from the task that opened it: a task started inside the block (``asyncio.gather``, ``create_task``) copies
  the context variable but must not use the connection concurrently, so it gets its own transaction;
* while it is open: a task that outlives the block sees it closed.

A joined block that fails marks the unit: a caller that handles the error and goes on would otherwise commit
a transaction PostgreSQL has already aborted (or, on SQLite, half of what it meant to write).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

Item = TypeVar("Item")

#: what runs as a unit's last statements, on its connection, with what was collected for it (audit events)
FinalStep = Callable[[AsyncConnection, list[Item]], Awaitable[None]]


class UnitOfWorkFailed(RuntimeError):
    """A statement inside the unit failed and its caller went on: the unit must not commit."""


@dataclass(eq=False)
class OpenUnit:
    connection: AsyncConnection
    task: asyncio.Task[Any] | None
    #: per final step, in the order first used: what it gets
    final_steps: dict[FinalStep[Any], list[Any]] = field(default_factory=dict)
    open: bool = True
    failure: BaseException | None = None

    def collect(self, step: FinalStep[Item], item: Item) -> None:
        self.final_steps.setdefault(step, []).append(item)

    async def finish(self) -> None:
        """Run the final steps; refuse to end well when a joined block failed."""
        if self.failure is not None:
            raise UnitOfWorkFailed("a statement failed inside the unit of work") from self.failure
        for step, items in self.final_steps.items():
            await step(self.connection, items)


class UnitsOfWork:
    """The open unit of each task, for one ``Database``."""

    def __init__(self) -> None:
        self._current: ContextVar[OpenUnit | None] = ContextVar("tokenward_unit_of_work", default=None)

    def joinable(self) -> OpenUnit | None:
        unit = self._current.get()
        if unit is None or not unit.open or unit.task is not asyncio.current_task():
            return None
        return unit

    @contextmanager
    def opened(self, connection: AsyncConnection) -> Iterator[OpenUnit]:
        unit = OpenUnit(connection, asyncio.current_task())
        token = self._current.set(unit)
        try:
            yield unit
        finally:
            unit.open = False
            self._current.reset(token)

    @contextmanager
    def joined(self, unit: OpenUnit) -> Iterator[AsyncConnection]:
        try:
            yield unit.connection
        except BaseException as error:
            unit.failure = error
            raise

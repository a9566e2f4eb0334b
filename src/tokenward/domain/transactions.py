"""One transaction for a use case: the port through which a service makes several repository calls commit
together (``adapters/sql/database.py`` implements it).

Every repository method is its own transaction when called alone. Inside ``async with transactions.atomic():``
the calls of the same task share one transaction instead: what they write commits together at the end of the
block or not at all, and the audit events they record are linked into the chain as the block's last step, in
that transaction. A sign-in so costs one transaction after the password check instead of eight, and its
session, device record and audit events cannot part.

The rule for a block: it holds the part of a use case that succeeds. A refusal that must be recorded is
recorded and raised outside any block, because an exception that leaves the block rolls back everything in it,
the audit events included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class Transactions(Protocol):
    def atomic(self) -> AbstractAsyncContextManager[None]:
        """A block whose repository calls commit together; inside another block it joins that one."""
        ...


class SeparateTransactions:
    """For stores without transactions (the in-memory fakes of the tests): each call stands alone."""

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        yield

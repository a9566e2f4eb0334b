"""Column types that make both databases give back the same Python values.

The domain works with timezone-aware UTC datetimes. PostgreSQL stores ``timestamptz`` natively, but SQLite has
no time zones at all: a naive datetime would come back and compare unequal to (or fail against) the aware
ones the domain holds. ``UTCDateTime`` therefore refuses naive input, stores UTC and always returns aware
UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # a naive value is ambiguous (local time? UTC?); guessing would shift tokens' lifetimes silently
            raise ValueError("naive datetime given to the database; the domain uses aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite stores text; keep it in UTC and without an offset so that ORDER BY sorts chronologically
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> TypeEngine[Any]:
    """JSON everywhere, stored as ``jsonb`` on PostgreSQL (compact, indexable, no duplicate keys)."""
    return JSON().with_variant(postgresql.JSONB(), "postgresql")

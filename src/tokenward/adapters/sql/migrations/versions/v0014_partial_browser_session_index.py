"""The index on ``sessions.browser_session_id`` keeps only the sessions that have one.

Only a client's session started from a hosted sign-in has a browser session; every session of the API and
every hosted one has none, and a full index gave each of them an entry nobody looks up (about 20 bytes per
session on PostgreSQL). Every lookup asks for one browser session (``= :id``), which a partial index answers.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

_INDEX = "ix_sessions_browser_session_id"
_HAS_ONE = sa.text("browser_session_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="sessions")
    op.create_index(
        _INDEX, "sessions", ["browser_session_id"], postgresql_where=_HAS_ONE, sqlite_where=_HAS_ONE
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="sessions")
    op.create_index(_INDEX, "sessions", ["browser_session_id"])

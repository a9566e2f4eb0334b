"""Authorization codes remember a replay: a redemption still under way when the replay arrives sees it and
ends the session it started (the replay could not: that session did not exist yet).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("authorization_codes", sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("authorization_codes", "replayed_at")

"""Durable revocations: the deny-list's record in the database (Redis or memory holds the fast copy).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "revocations",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("revoked_id", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "revoked_id", name="pk_revocations"),
    )
    op.create_index("ix_revocations_expires_at", "revocations", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revocations_expires_at", table_name="revocations")
    op.drop_table("revocations")

"""Clients may register a back-channel logout URI (OpenID Back-Channel Logout 1.0).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("backchannel_logout_uri", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("clients", "backchannel_logout_uri")

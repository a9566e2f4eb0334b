"""Token life cycle: registered API clients, clean-up and rotation leases, key schedule columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Filled in by the token life-cycle work."""


def downgrade() -> None:
    """Filled in by the token life-cycle work."""

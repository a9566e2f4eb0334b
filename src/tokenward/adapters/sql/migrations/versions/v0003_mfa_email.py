"""Multi-factor sign-in and e-mail flows: TOTP factors, recovery codes, single-use tokens, known devices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Filled in by the MFA and e-mail work."""


def downgrade() -> None:
    """Filled in by the MFA and e-mail work."""

"""Multi-factor sign-in and e-mail flows: TOTP factors, recovery codes, single-use tokens, known devices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "totp_factors",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("encrypted_secret", sa.LargeBinary(), nullable=False),
        _ts("created_at"),
        _ts("confirmed_at", nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_totp_factors"),
        _user_fk("totp_factors"),
    )
    op.create_index("ix_totp_factors_user_id", "totp_factors", ["user_id"])
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_recovery_codes"),
        _user_fk("recovery_codes"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "mfa_challenges",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_mfa_challenges"),
        _user_fk("mfa_challenges"),
    )
    op.create_index("ix_mfa_challenges_user_id", "mfa_challenges", ["user_id"])
    op.create_table(
        "one_time_tokens",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_one_time_tokens"),
        _user_fk("one_time_tokens"),
    )
    op.create_index("ix_one_time_tokens_user_id", "one_time_tokens", ["user_id"])
    op.create_table(
        "known_devices",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        _ts("first_seen_at"),
        _ts("last_seen_at"),
        sa.PrimaryKeyConstraint("user_id", "fingerprint", name="pk_known_devices"),
        _user_fk("known_devices"),
    )


def downgrade() -> None:
    op.drop_table("known_devices")
    for table in ("one_time_tokens", "mfa_challenges", "recovery_codes", "totp_factors"):
        op.drop_index(f"ix_{table}_user_id", table_name=table)
        op.drop_table(table)

"""More second factors: passkeys (WebAuthn) with their challenges, and SMS and e-mail one-time codes.

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-12

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision: str | None = "0010"
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
        "passkeys",
        sa.Column("credential_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("user_handle", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("credential_id", name="pk_passkeys"),
        _user_fk("passkeys"),
    )
    op.create_index("ix_passkeys_user_id", "passkeys", ["user_id"])
    op.create_table(
        "webauthn_challenges",
        sa.Column("challenge_hash", sa.Text(), nullable=False),
        sa.Column("ceremony", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("binding", sa.Text(), nullable=True),
        sa.Column("user_handle", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("challenge_hash", name="pk_webauthn_challenges"),
        _user_fk("webauthn_challenges"),
    )
    op.create_index("ix_webauthn_challenges_user_id", "webauthn_challenges", ["user_id"])
    op.create_table(
        "otp_factors",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_otp_factors"),
        sa.UniqueConstraint("user_id", "channel", name="uq_otp_factors_user_id_channel"),
        _user_fk("otp_factors"),
    )
    op.create_table(
        "otp_challenges",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("binding", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_otp_challenges"),
        _user_fk("otp_challenges"),
    )
    op.create_index("ix_otp_challenges_user_id", "otp_challenges", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_otp_challenges_user_id", table_name="otp_challenges")
    op.drop_table("otp_challenges")
    op.drop_table("otp_factors")
    for table in ("webauthn_challenges", "passkeys"):
        op.drop_index(f"ix_{table}_user_id", table_name=table)
        op.drop_table(table)

"""Initial schema: users, sessions, refresh tokens, signing keys and the append-only audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written out by hand instead of importing ``tables.py``: a migration is history and must keep producing
the same schema when the current model moves on.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_APPEND_ONLY_MESSAGE = "audit_events is append-only"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_normalized", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("password_changed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email_normalized", name="uq_users_email_normalized"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("family_id", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("last_used_at"),
        _ts("expires_at"),
        _ts("auth_time"),
        sa.Column("amr", _json(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        _ts("revoked_at", nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("family_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("rotated_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_refresh_tokens_session_id_sessions", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.Text(), nullable=False),
        sa.Column("alg", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("public_jwk", _json(), nullable=False),
        sa.Column("encrypted_private_key", sa.LargeBinary(), nullable=False),
        _ts("created_at"),
        _ts("activated_at", nullable=True),
        _ts("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_keys"),
    )
    op.create_table(
        "audit_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("type", sa.Text(), nullable=False),
        _ts("at"),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_type", "audit_events", ["type"])
    op.create_index("ix_audit_events_user_id_at", "audit_events", ["user_id", "at"])
    _create_append_only_guard()


def downgrade() -> None:
    _drop_append_only_guard()
    op.drop_index("ix_audit_events_user_id_at", table_name="audit_events")
    op.drop_index("ix_audit_events_type", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("signing_keys")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_index("ix_refresh_tokens_session_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("users")


def _create_append_only_guard() -> None:
    """Make the database itself refuse UPDATE and DELETE on the audit trail (threat T-AUD-01).

    The repository offers no way to change an event; the trigger also stops a bug elsewhere, a hand-written
    statement or a compromised application role that is not the table owner from rewriting history.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION tokenward_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION tokenward_audit_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
            )


def _drop_append_only_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS tokenward_audit_events_append_only()")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{action}")

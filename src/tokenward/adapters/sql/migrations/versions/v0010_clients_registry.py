"""One client registry for OpenID Connect: clients, authorization codes, consents; client sessions.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-05

The ``api_clients`` rows (resource servers that introspect tokens) become confidential clients of the new
``clients`` table with the same id, name, secret hash and creation time, no redirect URI, and whatever scopes
they had (the ``scopes`` column revision 0005 added; ``admin`` opens the admin API). Sessions learn which client their
tokens were issued to and which browser session they came from. Written out by hand: a migration is history.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def _create_clients() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.Column("redirect_uris", _json(), nullable=False),
        sa.Column("post_logout_redirect_uris", _json(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False, server_default=""),
        sa.Column("first_party", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_clients"),
    )


def _move_api_clients() -> None:
    old = sa.table(
        "api_clients", *(sa.column(name) for name in ("id", "name", "secret_hash", "created_at", "scopes"))
    )
    new = sa.table(
        "clients",
        *(sa.column(name) for name in ("id", "name", "type", "secret_hash", "created_at")),
        sa.column("redirect_uris", _json()),
        sa.column("post_logout_redirect_uris", _json()),
        sa.column("scopes"),
        sa.column("first_party"),
    )
    rows = sa.select(
        old.c.id,
        old.c.name,
        sa.literal("confidential"),
        old.c.secret_hash,
        old.c.created_at,
        sa.literal([], _json()),
        sa.literal([], _json()),
        old.c.scopes,
        sa.false(),
    )
    op.execute(sa.insert(new).from_select([column.name for column in new.columns], rows))
    op.drop_table("api_clients")


def _create_codes_and_consents() -> None:
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("browser_session_id", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.Text(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=True),
        _ts("auth_time"),
        sa.Column("amr", _json(), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
        sa.Column("token_session_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_authorization_codes"),
        _fk("authorization_codes", "client_id", "clients"),
        _fk("authorization_codes", "user_id", "users"),
    )
    op.create_index("ix_authorization_codes_user_id", "authorization_codes", ["user_id"])
    op.create_index("ix_authorization_codes_expires_at", "authorization_codes", ["expires_at"])
    op.create_table(
        "consents",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        _ts("granted_at"),
        sa.PrimaryKeyConstraint("user_id", "client_id", name="pk_consents"),
        _fk("consents", "user_id", "users"),
        _fk("consents", "client_id", "clients"),
    )


def upgrade() -> None:
    _create_clients()
    _move_api_clients()
    _create_codes_and_consents()
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("client_id", sa.Text(), nullable=True))
        batch.add_column(sa.Column("browser_session_id", sa.Text(), nullable=True))
        batch.create_index("ix_sessions_browser_session_id", ["browser_session_id"])


def downgrade() -> None:
    """Back to API clients only: confidential clients return to ``api_clients``; public clients, codes,
    consents and what sessions knew of clients are dropped."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_browser_session_id")
        batch.drop_column("browser_session_id")
        batch.drop_column("client_id")
    op.drop_table("consents")
    op.drop_table("authorization_codes")
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.Column("scopes", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_api_clients"),
    )
    op.execute(
        "INSERT INTO api_clients (id, name, secret_hash, created_at, scopes) "
        # revision 0005 knew one scope, admin; the OpenID Connect ones stay behind
        "SELECT id, name, secret_hash, created_at, "
        "CASE WHEN ' ' || scopes || ' ' LIKE '% admin %' THEN 'admin' ELSE '' END "
        "FROM clients WHERE type = 'confidential'"
    )
    op.drop_table("clients")

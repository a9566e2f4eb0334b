"""Tamper-evident audit trail, sealed personal fields, per-user data keys, and scopes for API clients.

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-10

Existing audit events are renumbered 1, 2, 3, ... in the order they were recorded and linked into the hash
chain. Their IP addresses and user agents are dropped: they were stored in the clear, and without the
key-encryption key (which migrations never see) they cannot be sealed, nor could they later be erased.

Written out by hand (not from ``tables.py``): a migration is history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tokenward.domain.audit.chain import GENESIS_HASH, link_hash

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_APPEND_ONLY_MESSAGE = "audit_events is append-only"


def _event_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _drop_append_only_guard()
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("personal_digest", sa.Text(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("hash", sa.Text(), nullable=True))
        batch.drop_column("ip")
        batch.drop_column("user_agent")
    head_seq, head_hash = _link_existing_events()
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("prev_hash", existing_type=sa.Text(), nullable=False)
        batch.alter_column("hash", existing_type=sa.Text(), nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        # sequence numbers are assigned under the chain head's lock from now on, never by a sequence
        op.execute("ALTER TABLE audit_events ALTER COLUMN id DROP DEFAULT")
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": head_seq, "hash": head_hash}])
    op.create_table(
        "audit_personal",
        sa.Column("event_id", _event_id(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_audit_personal"),
    )
    op.create_table(
        "audit_data_keys",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_audit_data_keys"),
    )
    with op.batch_alter_table("api_clients") as batch:
        batch.add_column(sa.Column("scopes", sa.Text(), nullable=False, server_default=""))
    _create_append_only_guard()


def _link_existing_events() -> tuple[int, str]:
    """Renumber the events in recording order and compute their chain; returns the head."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, type, at, outcome, user_id, session_id, details FROM audit_events ORDER BY id")
    ).all()
    events = sa.table(
        "audit_events",
        sa.column("id", sa.BigInteger()),
        sa.column("prev_hash", sa.Text()),
        sa.column("hash", sa.Text()),
    )
    # first out of the way (negative ids), then each to its place in the chain
    bind.execute(sa.text("UPDATE audit_events SET id = -id"))
    previous = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        linked = link_hash(
            seq=seq,
            type=row.type,
            at=_aware(row.at),
            outcome=row.outcome,
            user_id=row.user_id,
            session_id=row.session_id,
            details=_json(row.details),
            personal_digest=None,
            prev_hash=previous,
        )
        bind.execute(
            sa.update(events).where(events.c.id == -row.id).values(id=seq, prev_hash=previous, hash=linked)
        )
        previous = linked
    return len(rows), previous


def _aware(value: object) -> object:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: object) -> object:
    import json

    return json.loads(value) if isinstance(value, str | bytes) else value


def downgrade() -> None:
    _drop_append_only_guard()
    with op.batch_alter_table("api_clients") as batch:
        batch.drop_column("scopes")
    op.drop_table("audit_data_keys")
    op.drop_table("audit_personal")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("personal_digest")
        batch.add_column(sa.Column("ip", sa.Text(), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS audit_events_id_seq OWNED BY audit_events.id")
        op.execute(
            "SELECT setval('audit_events_id_seq', COALESCE((SELECT max(id) FROM audit_events), 0) + 1, false)"
        )
        op.execute("ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT nextval('audit_events_id_seq')")
    _create_append_only_guard()


def _create_append_only_guard() -> None:
    """The same guard as revision 0001: the database refuses UPDATE and DELETE of an event (T-AUD-01)."""
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

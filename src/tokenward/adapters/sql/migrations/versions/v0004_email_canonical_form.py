"""E-mail addresses compared by their canonical form: ``users.email_normalized`` recomputed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Until now the column held ``casefold(NFKC(address))``, which made ``straße@`` and ``strasse@`` one account and
kept internationalised domains as Unicode. It now holds ``canonical_email(address)``
(``domain/accounts/email_addresses.py``): ASCII local parts lower-cased, other local parts unchanged, the
domain in IDNA A-labels. For ASCII addresses, which are nearly all, the two forms are the same and nothing is
written.

Two accounts are never merged. When a recomputed form is already another account's, that other account keeps
it and the later one keeps its old form; the pair is logged (``email_canonical_collision``, both user ids)
for an operator to resolve, for example by disabling one of them. Written out by hand; the new form comes from
the domain module, and the old one (for the downgrade) is written here, as history.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from tokenward.adapters.logging import get_logger
from tokenward.domain.accounts.email_addresses import canonical_email

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_users = sa.table(
    "users",
    sa.column("id", sa.Text()),
    sa.column("email", sa.Text()),
    sa.column("email_normalized", sa.Text()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)

#: ``(user id, address as stored, current form)``, oldest account first
Row = tuple[str, str, str]


def casefolded_email(address: str) -> str:
    """The form before this revision (kept here for the downgrade)."""
    return unicodedata.normalize("NFKC", address).strip().casefold()


def plan(rows: Sequence[Row], form: Callable[[str], str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The new value of every row whose form changes, and the ``(holder, refused)`` pairs of user ids where a
    new form is already held by another account (the refused row keeps its current value)."""
    taken = {current: user_id for user_id, address, current in rows if form(address) == current}
    changes: dict[str, str] = {}
    collisions: list[tuple[str, str]] = []
    for user_id, address, current in rows:
        new = form(address)
        if new == current:
            continue
        if new in taken:
            collisions.append((taken[new], user_id))
            if current in taken:  # cannot keep its old form either: stop rather than merge anything
                raise RuntimeError(f"user {user_id}: no e-mail form left that no other account holds")
            taken[current] = user_id
            continue
        taken[new] = user_id
        changes[user_id] = new
    return changes, collisions


def _recompute(form: Callable[[str], str]) -> None:
    bind = op.get_bind()
    query = sa.select(_users.c.id, _users.c.email, _users.c.email_normalized).order_by(
        _users.c.created_at, _users.c.id
    )
    rows = [(row.id, row.email, row.email_normalized) for row in bind.execute(query)]
    changes, collisions = plan(rows, form)
    # through a placeholder first, so that no intermediate state breaks the unique constraint
    for step in ("placeholder", "final"):
        for user_id, value in changes.items():
            bind.execute(
                sa.update(_users)
                .where(_users.c.id == user_id)
                .values(email_normalized=f"(migrating) {user_id}" if step == "placeholder" else value)
            )
    log = get_logger("tokenward.migrations")
    for holder, refused in collisions:
        log.warning(
            "email_canonical_collision",
            revision=revision,
            kept_by_user_id=holder,
            unchanged_user_id=refused,
            detail="two accounts have one canonical e-mail; the second keeps its old form until resolved",
        )


def upgrade() -> None:
    _recompute(canonical_email)


def downgrade() -> None:
    _recompute(casefolded_email)

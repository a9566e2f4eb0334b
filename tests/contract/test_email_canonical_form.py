"""Accounts stored and found by the canonical e-mail form, and the migration that moved existing accounts to it
without ever merging two."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.contract import records
from tokenward.adapters.sql import Database, SqlUserRepository, downgrade, migrate
from tokenward.adapters.sql.migrations.versions import v0004_email_canonical_form as revision
from tokenward.adapters.sql.tables import users
from tokenward.domain.accounts.email_addresses import canonical_email
from tokenward.domain.clock import FrozenClock


async def test_sharp_s_and_ss_local_parts_are_two_accounts(db: Database, clock: FrozenClock) -> None:
    repo = SqlUserRepository(db)
    sharp = records.user(clock.now(), email="straße@example.de")
    plain = records.user(clock.now(), email="strasse@example.de")
    await repo.add(sharp)
    await repo.add(plain)

    found_sharp = await repo.get_by_email(canonical_email("straße@example.de"))
    found_plain = await repo.get_by_email(canonical_email("strasse@example.de"))
    assert found_sharp is not None
    assert found_plain is not None
    assert (found_sharp.id, found_plain.id) == (sharp.id, plain.id)


async def test_an_internationalised_domain_is_found_in_either_spelling(
    db: Database, clock: FrozenClock
) -> None:
    repo = SqlUserRepository(db)
    ada = records.user(clock.now(), email="Ada@Bücher.de")
    await repo.add(ada)

    for spelling in ("ada@bücher.de", "ADA@BÜCHER.DE", "ada@xn--bcher-kva.de"):
        found = await repo.get_by_email(canonical_email(spelling))
        assert found is not None, spelling
        assert found.id == ada.id
        assert found.email == "Ada@Bücher.de"  # kept as typed


def _legacy_row(user_id: str, email: str, clock: FrozenClock, minutes: int) -> dict[str, Any]:
    """A row as the code before revision 0004 wrote it: the address stored case-folded, twice."""
    at = clock.now() + timedelta(minutes=minutes)
    folded = revision.casefolded_email(email)
    return {
        "id": user_id,
        "email": folded,
        "email_normalized": folded,
        "password_hash": None,
        "email_verified": False,
        "disabled": False,
        "created_at": at,
        "updated_at": at,
    }


async def _forms(url: str) -> dict[str, str]:
    db = Database(url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(users.c.id, users.c.email_normalized))).all()
        return {row.id: row.email_normalized for row in rows}
    finally:
        await db.dispose()


async def test_the_migration_recomputes_the_form_and_merges_nothing(
    empty_database_url: str, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    await migrate(empty_database_url)
    await downgrade(empty_database_url, "0003")
    legacy = [
        _legacy_row("ascii", "Ada@Example.com", clock, 0),
        _legacy_row("idn", "José@Bücher.de", clock, 1),
        _legacy_row("folded", "straße@example.de", clock, 2),  # became strasse@ long ago; stays so
        _legacy_row("unicode-twin", "bob@bücher.de", clock, 3),
        _legacy_row("alabel-twin", "bob@xn--bcher-kva.de", clock, 4),
    ]
    db = Database(empty_database_url)
    try:
        async with db.write() as conn:
            await conn.execute(insert(users), legacy)
    finally:
        await db.dispose()

    await migrate(empty_database_url)

    assert await _forms(empty_database_url) == {
        "ascii": "ada@example.com",
        "idn": "josé@xn--bcher-kva.de",
        "folded": "strasse@example.de",
        "unicode-twin": "bob@bücher.de",  # its new form belongs to another account: it keeps the old one
        "alabel-twin": "bob@xn--bcher-kva.de",
    }
    report = capsys.readouterr()
    assert "email_canonical_collision" in report.out + report.err
    assert "unicode-twin" in report.out + report.err

    await downgrade(empty_database_url, "0003")
    assert (await _forms(empty_database_url))["idn"] == "josé@bücher.de"


def test_the_migration_plan_reports_each_collision_and_keeps_both_accounts() -> None:
    rows = [
        ("older", "bob@bücher.de", "bob@bücher.de"),
        ("newer", "bob@xn--bcher-kva.de", "bob@xn--bcher-kva.de"),
        ("changed", "ann@bücher.de", "ann@bücher.de"),
    ]

    changes, collisions = revision.plan(rows, canonical_email)

    assert changes == {"changed": "ann@xn--bcher-kva.de"}
    assert collisions == [("newer", "older")]


def test_the_migration_plan_stops_rather_than_merge() -> None:
    """A row whose new form and old form both go to other accounts (its address was edited by hand since):
    nothing is written at all."""
    rows = [
        ("zed", "zed@example.com", "zed@example.com"),
        ("moved", "m@bücher.de", "m@bücher.de"),
        ("edited", "Zed@Example.com", "m@xn--bcher-kva.de"),
    ]
    with pytest.raises(RuntimeError, match="no e-mail form left"):
        revision.plan(rows, canonical_email)

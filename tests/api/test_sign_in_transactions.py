"""A password sign-in costs two database transactions besides the hash: the user read before it, and one unit
of work after it (the second-factor check, the session, the device record and the audit events), on SQLite and
PostgreSQL. Counted at the engine, so a repository call that opens a transaction of its own shows up here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.databases import create_fresh_postgres_database, drop_postgres_database
from tests.harness import RunningApp, make_settings, running_app
from tests.mfa_support import enrol_totp, password_step


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningApp]:
    overrides: dict[str, Any] = {}
    url = None
    if request.param == "postgres":
        url = await create_fresh_postgres_database(request.getfixturevalue("postgres_url"))
        overrides["database_url"] = url
    try:
        async with running_app(make_settings(tmp_path_factory.mktemp("tx"), **overrides)) as running:
            yield running
    finally:
        if url is not None:
            await drop_postgres_database(url)


@contextmanager
def counted_transactions(api: RunningApp) -> Iterator[list[str]]:
    began: list[str] = []
    engine = api.container.database.engine.sync_engine

    def on_begin(connection: Any) -> None:
        began.append("begin")

    event.listen(engine, "begin", on_begin)
    try:
        yield began
    finally:
        event.remove(engine, "begin", on_begin)


async def test_a_sign_in_is_two_transactions(app: RunningApp) -> None:
    email, _ = await app.new_user()
    with counted_transactions(app) as began:
        response = await app.attempt_login(email)
    assert response.status_code == 200, response.text
    assert len(began) == 2


async def test_a_sign_in_from_a_new_device_is_two_transactions(app: RunningApp) -> None:
    """The new-device notice (a single-use link and its e-mail) is written in the same unit."""
    email, _ = await app.new_user()
    with counted_transactions(app) as began:
        response = await app.client.post(
            "/v1/login",
            json={"email": email, "password": "correct horse battery staple"},
            headers={"User-Agent": "Another Browser/2.0"},
        )
    assert response.status_code == 200, response.text
    assert len(began) == 2


async def test_the_password_step_of_an_mfa_account_is_two_transactions(app: RunningApp) -> None:
    email, tokens = await app.new_user()
    await enrol_totp(app, tokens["access_token"])
    with counted_transactions(app) as began:
        step = await password_step(app, email, "correct horse battery staple")
    assert step["mfa_required"] is True
    assert len(began) == 2

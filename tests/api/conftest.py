"""One running app per test module (SQLite in a temporary folder)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import RunningApp, make_settings, running_app


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("tokenward"))) as running:
        yield running

"""A server process moves what start-up built out of the garbage collector's generations; a test's app does not.

A full collection walked the ~200,000 objects start-up builds (about 100 ms here), a pause that set the refresh
p99 under load (bench/README.md). ``app_from_environment``, the server's factory, freezes them once the
services are up; ``build_app`` without ``freeze_after_start`` (every test) leaves the collector alone, so the
many apps of a test run can still be collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from tests.harness import make_settings
from tokenward.bootstrap import build_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_a_server_app_freezes_what_start_up_built(tmp_path: Path, unfrozen: None) -> None:
    app = build_app(make_settings(tmp_path, background_tasks=False), freeze_after_start=True)
    async with LifespanManager(app):
        assert gc.get_freeze_count() > 10_000


async def test_a_test_app_leaves_the_collector_alone(tmp_path: Path, unfrozen: None) -> None:
    app = build_app(make_settings(tmp_path, background_tasks=False))
    async with LifespanManager(app):
        assert gc.get_freeze_count() == 0

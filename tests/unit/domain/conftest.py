"""The ``world`` fixture: every domain service on the fakes (see ``world.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.domain.world import World


@pytest.fixture
def world() -> Iterator[World]:
    built = World()
    try:
        yield built
    finally:
        built.close()

"""The composition root: each start-up step runs once per start, and the rate-limited routes are one list."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from fastapi.routing import APIRoute

from tests.harness import make_settings
from tokenward.api import routes as routes_package
from tokenward.bootstrap import build_app, commands, run_migrations, startup, stores, throttle_policy
from tokenward.config import RATE_LIMITED_ROUTES, Settings
from tokenward.domain.abuse.model import Rate


def _counting(calls: list[str], name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return original(*args, **kwargs)

    return wrapper


@pytest.fixture
def start_up_steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each run of the settings check, the logging set-up and the SQLite folder creation."""
    calls: list[str] = []
    for module, name in (
        (startup, "check_settings"),
        (startup, "configure_logging"),
        (stores, "make_database_folder"),
    ):
        monkeypatch.setattr(module, name, _counting(calls, name, getattr(module, name)))
    return calls


async def test_a_server_start_runs_each_start_up_step_once(tmp_path: Path, start_up_steps: list[str]) -> None:
    app = build_app(make_settings(tmp_path, background_tasks=False))
    assert start_up_steps == []  # building the app opens nothing; its lifespan does
    async with LifespanManager(app):
        assert start_up_steps == ["check_settings", "configure_logging", "make_database_folder"]
    assert (tmp_path / "tokenward.db").exists()


async def test_migrate_checks_the_settings_and_creates_the_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        commands, "check_settings", _counting(calls, "check_settings", startup.check_settings)
    )
    monkeypatch.setattr(
        commands,
        "make_database_folder",
        _counting(calls, "make_database_folder", stores.make_database_folder),
    )
    assert await run_migrations(make_settings(tmp_path / "data")) == "sqlite+aiosqlite"
    assert calls == ["check_settings", "make_database_folder"]
    assert (tmp_path / "data" / "tokenward.db").exists()


def _limited_routes_in_the_api() -> set[str]:
    """The ``route`` of every ``rate_limited(route)`` dependency declared by an endpoint of ``api.routes``."""
    names: set[str] = set()
    for module in pkgutil.iter_modules(routes_package.__path__, f"{routes_package.__name__}."):
        router = getattr(importlib.import_module(module.name), "router", None)
        for route in router.routes if isinstance(router, APIRouter) else ():
            for dependency in route.dependant.dependencies if isinstance(route, APIRoute) else ():
                call = dependency.call
                if call is not None and getattr(call, "__qualname__", "").startswith("rate_limited."):
                    names.add(inspect.getclosurevars(call).nonlocals["route"])
    return names


def test_every_rate_limited_route_has_a_setting_and_every_setting_a_route() -> None:
    """A route name without a ``rate_limit_<route>`` setting would go unlimited without a word."""
    assert _limited_routes_in_the_api() == set(RATE_LIMITED_ROUTES)


def test_the_throttle_policy_reads_every_route_from_its_setting() -> None:
    settings = Settings(rate_limit_login="7/minute", rate_limit_introspect="9/second;100/hour")
    routes = throttle_policy(settings).routes
    assert tuple(routes) == RATE_LIMITED_ROUTES
    assert routes["login"] == (Rate(7, 60),)
    assert routes["introspect"] == (Rate(9, 1), Rate(100, 3600))
    assert routes["signup"] == (Rate(10, 60), Rate(50, 3600))


def test_rate_limits_switched_off_limit_no_route() -> None:
    assert throttle_policy(Settings(rate_limits_enabled=False)).routes == {}

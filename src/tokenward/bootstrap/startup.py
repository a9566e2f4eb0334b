"""The first steps of every start that opens the stores, kept here so that each runs once per start.

``build_container`` runs ``start_up`` before it opens anything; ``commands.run_migrations``, which opens only
the database, runs ``check_settings``. Nothing else runs either, so a serving process, a CLI command and a test
each refuse unsafe settings and set up logging exactly once per container they build.
"""

from __future__ import annotations

from tokenward.adapters.logging import configure_logging
from tokenward.config import Settings
from tokenward.errors import ConfigurationError


def check_settings(settings: Settings) -> None:
    """Refuse to start in production with any insecure setting, naming each one."""
    if settings.is_production:
        problems = settings.insecure_settings()
        if problems:
            raise ConfigurationError(problems)


def start_up(settings: Settings) -> None:
    """Refuse unsafe production settings, then configure logging (structured JSON unless told otherwise)."""
    check_settings(settings)
    configure_logging(settings.log_level, settings.log_json)

"""What the ``tokenward`` command line needs besides the container: a start-up dry run and schema migration."""

from __future__ import annotations

from tokenward.adapters.sql import migrate
from tokenward.bootstrap.container import build_container
from tokenward.bootstrap.startup import check_settings
from tokenward.bootstrap.stores import database_kind, make_database_folder
from tokenward.config import Settings
from tokenward.errors import ConfigurationError


async def preflight(settings: Settings) -> None:
    """Build the container (migrating, loading and decrypting keys) and close it again.

    Any failure becomes a ``ConfigurationError`` naming it, so ``serve`` can report it in one line.
    """
    try:
        container = await build_container(settings)
    except ConfigurationError:
        raise
    except Exception as exc:  # the database or Redis does not answer, a migration fails, ...
        first_line = (str(exc).splitlines() or [""])[0][:300]
        raise ConfigurationError([f"start-up failed: {type(exc).__name__}: {first_line}"]) from exc
    await container.close()


async def run_migrations(settings: Settings) -> str:
    """Bring the database schema up to date; returns the database kind for the message.

    Only the database is opened, so of the start-up steps only the settings check runs (``startup``).
    """
    check_settings(settings)
    make_database_folder(settings)
    await migrate(settings.effective_database_url)
    return database_kind(settings)

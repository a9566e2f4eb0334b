"""Alembic environment: runs on the connection that ``tokenward.adapters.sql.migrate`` hands over.

There is no ``alembic.ini`` and no URL here on purpose: ``migrate`` opens the connection (with the same
SQLite pragmas and PostgreSQL advisory lock as the server) and passes it in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tokenward.adapters.sql.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with tokenward.adapters.sql.migrate(), which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # SQLite does run DDL inside a transaction; without this Alembic treats it as non-transactional and commits
    # after each revision, so two processes starting at once could both plan the same upgrade from the same
    # starting revision and the second would fail with "table already exists"
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()

"""SQL storage: SQLite (the embedded default) and PostgreSQL behind the domain's repository ports.

``Database`` owns the engine; the ``Sql*Repository`` classes implement the domain Protocols; ``migrate``
brings a database to the schema this version expects, with the migrations shipped inside the package.
"""

from tokenward.adapters.sql.audit import SqlAuditStore
from tokenward.adapters.sql.audit_keys import SqlDataKeyRepository
from tokenward.adapters.sql.database import Database, async_url
from tokenward.adapters.sql.keys import SqlKeyRepository
from tokenward.adapters.sql.migrate import (
    current_revision,
    downgrade,
    head_revision,
    is_known_revision,
    migrate,
    migrate_sync,
)
from tokenward.adapters.sql.sessions import SqlSessionRepository
from tokenward.adapters.sql.users import SqlUserRepository

__all__ = [
    "Database",
    "SqlAuditStore",
    "SqlDataKeyRepository",
    "SqlKeyRepository",
    "SqlSessionRepository",
    "SqlUserRepository",
    "async_url",
    "current_revision",
    "downgrade",
    "head_revision",
    "is_known_revision",
    "migrate",
    "migrate_sync",
]

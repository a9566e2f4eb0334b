"""``tokenward users import`` at scale: how long 100,000 users take, on SQLite and on PostgreSQL.

Writes a JSON-lines file of N users whose hashes cycle through the accepted formats (bcrypt, Argon2i, Django
and passlib PBKDF2, scrypt: a few hashes made once, since the import checks a hash's form and never runs it),
then times the import as the command runs it (file read, every line checked, existing addresses looked up
per batch, one multi-row INSERT per batch) into a fresh database, and a second run of the same file, in which
every line is skipped.

    python -m bench.import_users [--users 100000] [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

The database named by ``--url`` is only used to create (and drop) a throw-away database beside it;
``--no-postgres`` measures SQLite only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import argon2
import bcrypt
from tests.databases import create_fresh_postgres_database, drop_postgres_database

from tokenward.adapters.sql import Database, migrate
from tokenward.adapters.sql.users import SqlUserRepository
from tokenward.cli_import import read_records
from tokenward.domain.accounts.importing import UserImport
from tokenward.domain.audit.events import AuditTrail
from tokenward.domain.clock import SystemClock
from tokenward.domain.context import RequestContext

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # passlib 1.7 imports the deprecated ``crypt``
    from passlib.hash import django_pbkdf2_sha256, pbkdf2_sha256, scrypt


def _hashes() -> list[str]:
    password = "benchmark pass phrase"
    return [
        bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode(),
        argon2.PasswordHasher(type=argon2.Type.I).hash(password),
        str(django_pbkdf2_sha256.hash(password)),
        str(pbkdf2_sha256.hash(password)),
        str(scrypt.hash(password)),
    ]


def write_file(path: Path, users: int) -> None:
    hashes = _hashes()
    with path.open("w", encoding="utf-8") as handle:
        for n in range(users):
            record = {"email": f"user-{n}@example.com", "hash": hashes[n % len(hashes)]}
            if n % 3 == 0:
                record |= {"display_name": f"User {n}", "email_verified": True}
            handle.write(json.dumps(record) + "\n")


async def timed_import(url: str, source: Path) -> tuple[float, dict[str, int]]:
    db = Database(url)
    try:
        importer = UserImport(SqlUserRepository(db), AuditTrail([]), SystemClock())
        with source.open(encoding="utf-8") as handle:
            started = time.perf_counter()
            report = await importer.run(read_records(handle, "jsonl"), RequestContext.internal())
            return time.perf_counter() - started, report.summary()
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "TOKENWARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    source = folder / "users.jsonl"
    write_file(source, args.users)
    targets = [("sqlite", f"sqlite+aiosqlite:///{folder / 'bench.db'}")]
    pg = None if args.no_postgres else await create_fresh_postgres_database(args.url)
    if pg is not None:
        targets.append(("postgresql", pg))
    try:
        print("| database | users | first run s | users/s | second run (all skipped) s |")
        print("|---|---|---|---|---|")
        for name, url in targets:
            await migrate(url)
            first, summary = await timed_import(url, source)
            assert summary == {"imported": args.users, "skipped": 0, "refused": 0}, summary
            second, again = await timed_import(url, source)
            assert again == {"imported": 0, "skipped": args.users, "refused": 0}, again
            print(f"| {name} | {args.users:,} | {first:.1f} | {args.users / first:,.0f} | {second:.1f} |")
    finally:
        if pg is not None:
            await drop_postgres_database(pg)


if __name__ == "__main__":
    asyncio.run(main())

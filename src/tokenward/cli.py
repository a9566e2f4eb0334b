"""The ``tokenward`` command line: serve, migrate, users, keys, clients, cleanup, audit (``cli_admin``).

Exit codes: 0 success (for ``serve``, also a stop by SIGTERM), 1 the action was refused (for example no such
user), 2 usage or configuration error, 3 ``serve`` gave up waiting for the database at start-up, 130
interrupted (Ctrl-C). Errors are one plain line on stderr, never a stack trace.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import FrameType

from pydantic import ValidationError

from tokenward import cli_admin, cli_clients
from tokenward.bootstrap import Container, build_container, preflight, run_migrations
from tokenward.config import Settings, decode_kek
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.model import StoredKey
from tokenward.errors import ConfigurationError, TokenwardError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
#: ``serve`` waited ``TOKENWARD_STARTUP_TIMEOUT`` seconds and the database never answered
EXIT_DATABASE_UNAVAILABLE = 3


def _settings() -> Settings:
    return Settings()


def _with_container(action: Callable[[Container], Awaitable[int]]) -> int:
    async def run() -> int:
        container = await build_container(_settings())
        try:
            return await action(container)
        finally:
            await container.close()

    return asyncio.run(run())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tokenward.adapters.logging import configure_logging
    from tokenward.adapters.startup import DatabaseNotAnswering, wait_for_database
    from tokenward.http_server import BoundedHttpToolsProtocol, HttpLimits

    settings = _settings()
    issuer = settings.development_issuer(args.host, args.port)
    if issuer is not None:
        # the application (in each worker process) reads its settings from the environment
        os.environ["TOKENWARD_ISSUER"] = issuer
        settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        asyncio.run(
            wait_for_database(
                settings.effective_database_url,
                within=settings.startup_timeout,
                connect_timeout=settings.database_connect_timeout,
            )
        )
    except DatabaseNotAnswering as exc:
        print(f"tokenward: {exc}", file=sys.stderr)
        return EXIT_DATABASE_UNAVAILABLE
    # open everything once before serving: a wrong KEK is one clear line and exit code 2 here, not a stack
    # trace from inside the server's start-up
    asyncio.run(preflight(settings))
    limits = HttpLimits(
        max_head_bytes=settings.max_header_bytes,
        head_timeout=settings.http_head_timeout,
        body_timeout=settings.http_body_timeout,
        keepalive_timeout=settings.http_keepalive_timeout,
    )
    # uvicorn stops gracefully on SIGTERM and then raises the signal again so that the default action (death
    # by SIGTERM, status 143) ends the process; a handler of our own makes that second delivery a no-op, so a
    # requested stop that went well exits 0
    signal.signal(signal.SIGTERM, _stopped_by_sigterm)
    uvicorn.run(
        "tokenward.bootstrap:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=False,
        server_header=False,
        workers=args.workers,
        # httptools with bounds on request heads, bodies and idle connections (http_server)
        http=BoundedHttpToolsProtocol.with_limits(limits),
        log_level=settings.log_level.lower(),
        access_log=False,
        # after SIGTERM: stop accepting, let requests already received finish for at most this long
        timeout_graceful_shutdown=settings.shutdown_grace,
    )
    return EXIT_OK


def _stopped_by_sigterm(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM delivered again by uvicorn after its graceful shutdown: nothing left to do."""


def cmd_migrate(_args: argparse.Namespace) -> int:
    kind = asyncio.run(run_migrations(_settings()))
    print(f"database schema is up to date ({kind})")
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("TOKENWARD_NEW_USER_PASSWORD")
    if env:
        return env
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise ConfigurationError(["the two passwords differ"])
    return first


def cmd_users_create(args: argparse.Namespace) -> int:
    password = _read_password(args)

    async def action(container: Container) -> int:
        user = await container.accounts.create_user(args.email, password, email_verified=args.verified)
        print(json.dumps({"id": user.id, "email": user.email}))
        return EXIT_OK

    return _with_container(action)


def _set_disabled(disabled: bool) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        async def action(container: Container) -> int:
            user = await container.accounts.set_disabled(args.email, disabled)
            print(json.dumps({"id": user.id, "email": user.email, "disabled": user.disabled}))
            return EXIT_OK

        return _with_container(action)

    return command


def cmd_keys_list(_args: argparse.Namespace) -> int:
    async def action(container: Container) -> int:
        for key in await container.keys.list_keys():
            print(
                json.dumps(
                    {
                        "kid": key.kid,
                        "alg": key.alg,
                        "state": key.state.value,
                        "created_at": key.created_at.isoformat(),
                        "activated_at": key.activated_at.isoformat() if key.activated_at else None,
                    }
                )
            )
        return EXIT_OK

    return _with_container(action)


def _key_line(key: StoredKey) -> str:
    return json.dumps(
        {
            "kid": key.kid,
            "alg": key.alg,
            "state": key.state.value,
            "created_at": key.created_at.isoformat(),
            "activated_at": key.activated_at.isoformat() if key.activated_at else None,
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
        }
    )


def cmd_keys_rotate(_args: argparse.Namespace) -> int:
    async def action(container: Container) -> int:
        active = await container.keys.rotate()
        print(_key_line(active))
        return EXIT_OK

    return _with_container(action)


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    async def action(container: Container) -> int:
        replacement = await container.keys.revoke(args.kid)
        print(json.dumps({"revoked": args.kid}))
        if replacement is not None:
            print(_key_line(replacement))
        return EXIT_OK

    return _with_container(action)


def _new_kek(args: argparse.Namespace) -> bytes:
    text = Path(args.new_kek_file).read_text(encoding="utf-8") if args.new_kek_file else None
    text = text or os.environ.get("TOKENWARD_NEW_KEK")
    if not text:
        raise ConfigurationError(["give the new key-encryption key in TOKENWARD_NEW_KEK or --new-kek-file"])
    try:
        return decode_kek(text)
    except ValueError as exc:
        raise ConfigurationError([str(exc).replace("TOKENWARD_KEK", "the new key-encryption key")]) from exc


def cmd_keys_rewrap(args: argparse.Namespace) -> int:
    new_kek = _new_kek(args)

    async def action(container: Container) -> int:
        report = await container.kek_rotation().rewrap(KeyEncryptor(new_kek))
        print(json.dumps({"signing_keys": report.signing_keys, "totp_secrets": report.totp_secrets}))
        print("restart every process with the new TOKENWARD_KEK now", file=sys.stderr)
        return EXIT_OK

    return _with_container(action)


def cmd_cleanup(_args: argparse.Namespace) -> int:
    async def action(container: Container) -> int:
        report = await container.cleanup.run()
        print(json.dumps({"ran": report.ran, "deleted": report.deleted}))
        return EXIT_OK

    return _with_container(action)


def cmd_doctor(_args: argparse.Namespace) -> int:
    from tokenward.bootstrap.doctor import passes, settings_checks
    from tokenward.bootstrap.doctor_database import database_checks
    from tokenward.domain.clock import SystemClock

    settings = _settings()
    print(f"mode: {settings.mode.value}")
    print(f"database: {settings.effective_database_url.split('@')[-1]}")
    checks = settings_checks(settings) + asyncio.run(database_checks(settings, SystemClock()))
    for check in checks:
        print(f"{check.status.value:<5} {check.name}: {check.explanation}")
    return EXIT_OK if passes(checks) else EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenward", description="Tokenward authentication server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=None, help="server processes sharing the port (default: one)"
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=cmd_migrate)
    sub.add_parser(
        "doctor", help="check the deployment: settings, TLS, KEK, database role and clock"
    ).set_defaults(func=cmd_doctor)

    users = sub.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create an account (password from a prompt, stdin or env)")
    create.add_argument("email")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--verified", action="store_true", help="mark the e-mail address as verified")
    create.set_defaults(func=cmd_users_create)
    for name, disabled in (("disable", True), ("enable", False)):
        command = users.add_parser(name, help=f"{name} an account (disabling ends its sessions)")
        command.add_argument("email")
        command.set_defaults(func=_set_disabled(disabled))
    cli_admin.register(sub, users, _with_container)

    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("list", help="list signing keys and their states").set_defaults(func=cmd_keys_list)
    keys.add_parser(
        "rotate", help="activate a new signing key now; the old one stays published until its tokens expire"
    ).set_defaults(func=cmd_keys_rotate)
    revoke = keys.add_parser("revoke", help="withdraw a compromised key at once (its tokens stop verifying)")
    revoke.add_argument("kid")
    revoke.set_defaults(func=cmd_keys_revoke)
    rewrap = keys.add_parser(
        "rewrap", help="re-encrypt every private key under a new KEK (TOKENWARD_NEW_KEK or --new-kek-file)"
    )
    rewrap.add_argument("--new-kek-file", help="file holding the new key-encryption key")
    rewrap.set_defaults(func=cmd_keys_rewrap)

    cli_clients.register(sub, _with_container)

    sub.add_parser(
        "cleanup", help="delete expired sessions, refresh tokens and single-use tokens"
    ).set_defaults(func=cmd_cleanup)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigurationError as exc:
        print("tokenward: configuration refused:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        print("tokenward: invalid settings:", file=sys.stderr)
        for err in exc.errors():
            field = "TOKENWARD_" + "__".join(str(p) for p in err["loc"]).upper()
            print(f"  - {field}: {err['msg']}", file=sys.stderr)
        return EXIT_USAGE
    except TokenwardError as exc:
        print(f"tokenward: {exc.code}: {exc.detail}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    raise SystemExit(main())

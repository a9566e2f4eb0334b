"""The ``tokenward`` command line: serve, migrate, users, keys.

Exit codes: 0 success, 1 the action was refused (for example no such user), 2 usage or configuration error.
Errors are one plain line on stderr, never a stack trace.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

from pydantic import ValidationError

from tokenward.bootstrap import Container, build_container, check_settings, run_migrations
from tokenward.config import Settings
from tokenward.errors import ConfigurationError, TokenwardError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


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

    settings = _settings()
    check_settings(settings)
    uvicorn.run(
        "tokenward.bootstrap:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=False,
        server_header=False,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    return EXIT_OK


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


def cmd_doctor(_args: argparse.Namespace) -> int:
    settings = _settings()
    problems = settings.insecure_settings()
    print(f"mode: {settings.mode.value}")
    print(f"database: {settings.effective_database_url.split('@')[-1]}")
    if not problems:
        print("no insecure settings found")
        return EXIT_OK
    label = "refuses to start" if settings.is_production else "would be refused in production"
    print(f"{len(problems)} setting(s) {label}:")
    for problem in problems:
        print(f"  - {problem}")
    return EXIT_USAGE if settings.is_production else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenward", description="Tokenward authentication server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=cmd_migrate)
    sub.add_parser("doctor", help="explain insecure settings").set_defaults(func=cmd_doctor)

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

    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("list", help="list signing keys and their states").set_defaults(func=cmd_keys_list)
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

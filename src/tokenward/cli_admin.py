"""The operator's commands on accounts and on the audit trail: ``users list|show|erase``, ``audit verify|export``.

They call the same services as the admin API (recorded in the audit trail as done by ``cli``). ``tokenward.cli``
registers them and passes in how to run an action inside a container.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tokenward.domain.accounts.administration import user_summary
from tokenward.domain.accounts.privacy import OPERATOR
from tokenward.domain.context import RequestContext

if TYPE_CHECKING:
    from tokenward.bootstrap import Container

Action = Callable[["Container"], Awaitable[int]]
WithContainer = Callable[[Action], int]

EXIT_OK = 0
EXIT_REFUSED = 1


def _print(document: Any) -> None:
    print(json.dumps(document, sort_keys=True))


def register(sub: Any, users: Any, with_container: WithContainer) -> None:
    """Add the commands to the ``users`` group and a new ``audit`` group."""

    def run(make: Callable[[argparse.Namespace], Action]) -> Callable[[argparse.Namespace], int]:
        return lambda args: with_container(make(args))

    listing = users.add_parser("list", help="list accounts (JSON lines), optionally by e-mail prefix")
    listing.add_argument("--query", help="start of the e-mail address")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    listing.set_defaults(func=run(_users_list))
    show = users.add_parser("show", help="one account: factors, sessions, devices, last sign-in")
    show.add_argument("user", help="user id or e-mail address")
    show.set_defaults(func=run(_users_show))
    erase = users.add_parser("erase", help="erase an account for good (data deleted, audit fields shredded)")
    erase.add_argument("user", help="user id or e-mail address")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(func=lambda args: _confirmed(args) and with_container(_users_erase(args)))

    audit = sub.add_parser("audit", help="the tamper-evident audit trail").add_subparsers(
        dest="audit_command", required=True
    )
    audit.add_parser(
        "verify", help="walk the hash chain; exit 1 and name the first broken link if it does not hold"
    ).set_defaults(func=run(_audit_verify))
    export = audit.add_parser("export", help="every event as JSON lines, oldest first")
    export.add_argument("--user", help="only events about this user id")
    export.set_defaults(func=run(_audit_export))


def _users_list(args: argparse.Namespace) -> Action:
    async def action(container: Container) -> int:
        page = await container.admin.list_users(
            OPERATOR, RequestContext.internal(), query=args.query, cursor=args.cursor, limit=args.limit
        )
        for user in page.users:
            _print(user_summary(user))
        if page.next_cursor:
            print(f"next cursor: {page.next_cursor}", file=sys.stderr)
        return EXIT_OK

    return action


def _users_show(args: argparse.Namespace) -> Action:
    async def action(container: Container) -> int:
        _print(await container.admin.overview(OPERATOR, RequestContext.internal(), args.user))
        return EXIT_OK

    return action


def _confirmed(args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    answer = input(f"Erase {args.user} for good? Type 'erase' to confirm: ")
    if answer.strip() != "erase":
        print("tokenward: not erased", file=sys.stderr)
        return False
    return True


def _users_erase(args: argparse.Namespace) -> Action:
    async def action(container: Container) -> int:
        user_id = await container.admin.erase(OPERATOR, RequestContext.internal(), args.user)
        _print({"erased": user_id})
        return EXIT_OK

    return action


def _audit_verify(_args: argparse.Namespace) -> Action:
    async def action(container: Container) -> int:
        report = await container.audit_log.verify()
        head = {"seq": report.head.seq, "hash": report.head.hash}
        if report.broken is None:
            _print({"ok": True, "checked": report.checked, "head": head})
            return EXIT_OK
        _print({"ok": False, "checked": report.checked, "head": head, "broken_at": report.broken.seq})
        print(
            f"tokenward: audit chain broken at event {report.broken.seq}: {report.broken.reason}",
            file=sys.stderr,
        )
        return EXIT_REFUSED

    return action


def _audit_export(args: argparse.Namespace) -> Action:
    async def action(container: Container) -> int:
        async for event in container.audit_log.every_event(user_id=args.user):
            _print(event.as_dict())
        return EXIT_OK

    return action

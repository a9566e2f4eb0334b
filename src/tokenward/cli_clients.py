"""``tokenward clients create|list|show|update|delete|new-secret``: the client registry from the command line.

Output is JSON (one object per client); a confidential client's secret is printed once, at creation or when
replaced. ``tokenward.cli`` registers the commands and passes in how to run an action inside a container.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tokenward.domain.clients import Client, ClientSettings, ClientType, NewClient

if TYPE_CHECKING:
    from tokenward.bootstrap import Container

Action = Callable[["Container"], Awaitable[int]]
WithContainer = Callable[[Action], int]
EXIT_OK = 0


def describe(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "name": client.name,
        "type": client.type.value,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scopes": sorted(client.scopes),
        "first_party": client.first_party,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "created_at": client.created_at.isoformat(),
    }


def _print_new(created: NewClient) -> None:
    document = describe(created.client)
    if created.secret is not None:
        document["client_secret"] = created.secret
        print("the secret is shown only now; store it in the client's secret store", file=sys.stderr)
    print(json.dumps(document))


def _settings(args: argparse.Namespace) -> ClientSettings:
    def listed(name: str) -> tuple[str, ...] | None:
        values = getattr(args, name, None)
        return tuple(values) if values is not None else None

    scopes = listed("scope")
    return ClientSettings(
        redirect_uris=listed("redirect_uri"),
        post_logout_redirect_uris=listed("post_logout_redirect_uri"),
        scopes=frozenset(" ".join(scopes).split()) if scopes is not None else None,
        first_party=getattr(args, "first_party", None),
        name=getattr(args, "rename", None),
        backchannel_logout_uri=getattr(args, "backchannel_logout_uri", None),
    )


def _actions(args: argparse.Namespace) -> dict[str, Action]:
    async def create(container: Container) -> int:
        _print_new(await container.clients.create(args.name, ClientType(args.type), _settings(args)))
        return EXIT_OK

    async def listing(container: Container) -> int:
        for client in await container.clients.list_clients():
            print(json.dumps(describe(client)))
        return EXIT_OK

    async def show(container: Container) -> int:
        print(json.dumps(describe(await container.clients.get(args.client_id))))
        return EXIT_OK

    async def update(container: Container) -> int:
        print(json.dumps(describe(await container.clients.update(args.client_id, _settings(args)))))
        return EXIT_OK

    async def new_secret(container: Container) -> int:
        _print_new(await container.clients.new_secret(args.client_id))
        return EXIT_OK

    async def delete(container: Container) -> int:
        await container.clients.delete(args.client_id)
        print(json.dumps({"deleted": args.client_id}))
        return EXIT_OK

    return {
        "create": create,
        "list": listing,
        "show": show,
        "update": update,
        "new-secret": new_secret,
        "delete": delete,
    }


def _uri_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redirect-uri", action="append", help="an exact redirect URI; repeatable")
    parser.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        help="an exact URI to return to after sign-out; repeatable",
    )
    parser.add_argument(
        "--backchannel-logout-uri",
        help="where logout tokens are posted when a session of the client ends (https; '' removes it)",
    )
    parser.add_argument(
        "--scope",
        action="append",
        help="scopes the client may ask for (openid email profile admin); repeatable",
    )


def register(sub: Any, with_container: WithContainer) -> None:
    """Add the ``clients`` group."""
    clients = sub.add_parser("clients", help="registered clients (OpenID Connect apps, resource servers)")
    commands = clients.add_subparsers(dest="clients_command", required=True)

    def run(args: argparse.Namespace) -> int:
        return with_container(_actions(args)[args.clients_command])

    create = commands.add_parser(
        "create", help="register a client; prints a confidential client's secret once"
    )
    create.add_argument("name")
    create.add_argument(
        "--type", choices=[t.value for t in ClientType], default=ClientType.CONFIDENTIAL.value
    )
    _uri_options(create)
    create.add_argument(
        "--first-party", action="store_true", default=None, help="run by you: no consent page"
    )
    update = commands.add_parser("update", help="change a client (each option given replaces that part)")
    update.add_argument("client_id")
    update.add_argument("--name", dest="rename")
    _uri_options(update)
    update.add_argument("--first-party", action=argparse.BooleanOptionalAction, default=None)
    commands.add_parser("list", help="list registered clients")
    for name, text in (
        ("show", "show one client"),
        ("new-secret", "replace a confidential client's secret (the old one stops working)"),
        ("delete", "remove a client (its secret, codes and consents stop working)"),
    ):
        commands.add_parser(name, help=text).add_argument("client_id")
    for command in commands.choices.values():
        command.set_defaults(func=run)

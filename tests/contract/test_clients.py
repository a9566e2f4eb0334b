"""ClientRepository contract: registered clients, stored and listed oldest first, replaced, deleted once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.contract.conftest import Stores
from tokenward.domain.clients import Client, ClientRepository, ClientType, hash_client_secret
from tokenward.domain.clock import FrozenClock


@pytest.fixture
def repo(stores: Stores) -> ClientRepository:
    return stores.clients


def client(clock: FrozenClock, client_id: str, name: str = "orders api") -> Client:
    return Client(
        id=client_id,
        name=name,
        type=ClientType.CONFIDENTIAL,
        secret_hash=hash_client_secret(f"tws_{client_id}"),
        created_at=clock.now(),
    )


async def test_every_field_of_a_relying_party_round_trips_and_replace_changes_them(
    repo: ClientRepository, clock: FrozenClock
) -> None:
    app = Client(
        id="twc-spa",
        name="Single-page app",
        type=ClientType.PUBLIC,
        secret_hash=None,
        created_at=clock.now(),
        redirect_uris=("https://app.example/cb", "http://127.0.0.1/cb"),
        post_logout_redirect_uris=("https://app.example/",),
        scopes=frozenset({"openid", "email"}),
        first_party=True,
        backchannel_logout_uri="https://app.example/backchannel",
    )
    await repo.add(app)
    assert await repo.get("twc-spa") == app

    changed = replace(
        app,
        redirect_uris=("https://app.example/other",),
        first_party=False,
        scopes=frozenset(),
        backchannel_logout_uri=None,
    )
    assert await repo.replace(changed) is True
    assert await repo.get("twc-spa") == changed
    assert await repo.replace(replace(app, id="twc-never")) is False


async def test_add_then_get_round_trips_every_field(repo: ClientRepository, clock: FrozenClock) -> None:
    orders = client(clock, "twapi-orders", name="Orders API (ünïcode)")
    await repo.add(orders)

    assert await repo.get("twapi-orders") == orders
    assert await repo.get("twapi-unknown") is None


async def test_list_is_oldest_first_with_the_id_breaking_ties(
    repo: ClientRepository, clock: FrozenClock
) -> None:
    assert await repo.list_clients() == []
    older = client(clock, "twapi-z-older")
    clock.advance(60)
    newer_b, newer_a = client(clock, "twapi-b"), client(clock, "twapi-a")
    for each in (newer_b, older, newer_a):
        await repo.add(each)

    assert await repo.list_clients() == [older, newer_a, newer_b]


async def test_delete_removes_only_that_client_and_says_whether_it_existed(
    repo: ClientRepository, clock: FrozenClock
) -> None:
    kept, gone = client(clock, "twapi-kept"), client(clock, "twapi-gone")
    await repo.add(kept)
    await repo.add(gone)

    assert await repo.delete("twapi-gone") is True
    assert await repo.delete("twapi-gone") is False
    assert await repo.delete("twapi-never") is False
    assert await repo.get("twapi-gone") is None
    assert await repo.list_clients() == [kept]


async def test_a_client_id_is_matched_exactly(repo: ClientRepository, clock: FrozenClock) -> None:
    await repo.add(client(clock, "twapi-orders"))

    for near_miss in ("TWAPI-ORDERS", "twapi-orders ", "twapi-order", "twapi-orders%", "' OR '1'='1"):
        assert await repo.get(near_miss) is None
        assert await repo.delete(near_miss) is False
    assert len(await repo.list_clients()) == 1

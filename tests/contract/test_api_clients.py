"""ApiClientRepository contract: registered resource servers, stored and listed oldest first, deleted once."""

from __future__ import annotations

import pytest

from tests.contract.conftest import Stores
from tokenward.domain.clients.api_clients import ApiClient, ApiClientRepository, hash_client_secret
from tokenward.domain.clock import FrozenClock


@pytest.fixture
def repo(stores: Stores) -> ApiClientRepository:
    return stores.api_clients


def client(clock: FrozenClock, client_id: str, name: str = "orders api") -> ApiClient:
    return ApiClient(
        id=client_id, name=name, secret_hash=hash_client_secret(f"tws_{client_id}"), created_at=clock.now()
    )


async def test_add_then_get_round_trips_every_field(repo: ApiClientRepository, clock: FrozenClock) -> None:
    orders = client(clock, "twapi-orders", name="Orders API (ünïcode)")
    await repo.add(orders)

    assert await repo.get("twapi-orders") == orders
    assert await repo.get("twapi-unknown") is None


async def test_list_is_oldest_first_with_the_id_breaking_ties(
    repo: ApiClientRepository, clock: FrozenClock
) -> None:
    assert await repo.list_clients() == []
    older = client(clock, "twapi-z-older")
    clock.advance(60)
    newer_b, newer_a = client(clock, "twapi-b"), client(clock, "twapi-a")
    for each in (newer_b, older, newer_a):
        await repo.add(each)

    assert await repo.list_clients() == [older, newer_a, newer_b]


async def test_delete_removes_only_that_client_and_says_whether_it_existed(
    repo: ApiClientRepository, clock: FrozenClock
) -> None:
    kept, gone = client(clock, "twapi-kept"), client(clock, "twapi-gone")
    await repo.add(kept)
    await repo.add(gone)

    assert await repo.delete("twapi-gone") is True
    assert await repo.delete("twapi-gone") is False
    assert await repo.delete("twapi-never") is False
    assert await repo.get("twapi-gone") is None
    assert await repo.list_clients() == [kept]


async def test_a_client_id_is_matched_exactly(repo: ApiClientRepository, clock: FrozenClock) -> None:
    await repo.add(client(clock, "twapi-orders"))

    for near_miss in ("TWAPI-ORDERS", "twapi-orders ", "twapi-order", "twapi-orders%", "' OR '1'='1"):
        assert await repo.get(near_miss) is None
        assert await repo.delete(near_miss) is False
    assert len(await repo.list_clients()) == 1

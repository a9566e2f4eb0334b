"""The token transports: where a request's tokens are read from, and how a token response is written."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tests.transport_support import COOKIE, CookieLike
from tokenward.api.schemas import TokenResponse
from tokenward.api.transport import NO_STORE, BearerTransport, TokenTransport, Transports, token_document
from tokenward.domain.sessions.service import TokenPair
from tokenward.errors import InvalidRequest

PAIR = TokenPair(
    access_token="eyJ.access.token",
    expires_in=600,
    refresh_token="twr_refresh",
    scope="openid profile",
    session_id="session-1",
)


def request_with(headers: Mapping[str, str] | None = None) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    return Request(
        {"type": "http", "method": "POST", "path": "/oauth/token", "headers": raw, "query_string": b""}
    )


@pytest.mark.parametrize(
    ("authorization", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("BEARER   abc.def.ghi  ", "abc.def.ghi"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer    ", None),
        ("abc.def.ghi", None),
        ("", None),
    ],
)
def test_bearer_reads_the_access_token_from_the_authorization_header(
    authorization: str, token: str | None
) -> None:
    assert BearerTransport().read_access_token(request_with({"Authorization": authorization})) == token


def test_bearer_reads_no_access_token_without_the_header_nor_from_a_cookie() -> None:
    transport = BearerTransport()
    assert transport.read_access_token(request_with()) is None
    assert transport.read_access_token(request_with({"Cookie": "access_token=abc.def.ghi"})) is None


def test_bearer_reads_the_refresh_token_from_the_body_only() -> None:
    transport = BearerTransport()
    assert transport.read_refresh_token(request_with(), {"refresh_token": "twr_a"}) == "twr_a"
    assert transport.read_refresh_token(request_with(), {"refresh_token": ""}) is None
    assert transport.read_refresh_token(request_with(), {}) is None
    carried_elsewhere = request_with({"Authorization": "Bearer twr_a", "Cookie": "refresh_token=twr_a"})
    assert transport.read_refresh_token(carried_elsewhere, {}) is None


def test_bearer_writes_both_tokens_in_a_body_no_cache_may_keep() -> None:
    response = BearerTransport().write_token_response(PAIR)
    assert isinstance(response, JSONResponse)
    assert response.status_code == 200
    assert json.loads(bytes(response.body)) == {
        "access_token": "eyJ.access.token",
        "token_type": "Bearer",
        "expires_in": 600,
        "refresh_token": "twr_refresh",
        "scope": "openid profile",
        "session_id": "session-1",
    }
    assert response.headers["content-type"] == "application/json"
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    assert "set-cookie" not in response.headers


def test_bearer_clear_leaves_the_answer_as_it_is() -> None:
    response = Response()
    before = list(response.headers.raw)
    BearerTransport().clear(response)
    assert response.headers.raw == before


def test_token_document_can_leave_the_refresh_token_out() -> None:
    assert "refresh_token" not in token_document(PAIR, refresh_token=False)
    assert token_document(PAIR)["refresh_token"] == "twr_refresh"
    assert dict(NO_STORE) == {"Cache-Control": "no-store", "Pragma": "no-cache"}


def test_sign_in_uses_the_default_unless_a_known_transport_is_asked_for() -> None:
    bearer, cookie = BearerTransport(), CookieLike()
    transports = Transports(bearer, cookie)
    assert transports.for_sign_in() is bearer
    assert transports.for_sign_in("bearer") is bearer
    assert transports.for_sign_in("cookie-like") is cookie


def test_asking_for_an_unknown_transport_at_sign_in_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequest) as refused:
        Transports(BearerTransport()).for_sign_in("carrier-pigeon")
    assert refused.value.code == "invalid_request"
    assert str(refused.value) == "Unknown token transport; use one of: bearer"


def test_two_transports_may_not_share_a_name() -> None:
    with pytest.raises(ValueError, match="same name"):
        Transports(BearerTransport(), BearerTransport())


def test_the_refresh_token_is_read_by_the_other_transports_before_the_default() -> None:
    bearer, cookie = BearerTransport(), CookieLike()
    transports = Transports(bearer, cookie)
    both = request_with({"Cookie": f"{COOKIE}=twr_cookie"})
    assert transports.read_refresh_token(both, {"refresh_token": "twr_body"}) == (cookie, "twr_cookie")
    assert transports.read_refresh_token(request_with(), {"refresh_token": "twr_body"}) == (
        bearer,
        "twr_body",
    )
    assert transports.read_refresh_token(request_with(), {}) == (bearer, None)


def test_the_access_token_falls_through_to_the_default_transport() -> None:
    transports = Transports(BearerTransport(), CookieLike())
    assert transports.read_access_token(request_with({"Authorization": "Bearer a.b.c"})) == "a.b.c"
    assert transports.read_access_token(request_with({"Cookie": f"{COOKIE}=twr_cookie"})) is None


def test_a_second_transport_writes_its_own_answer() -> None:
    transport: TokenTransport = CookieLike()
    response = transport.write_token_response(PAIR)
    assert "refresh_token" not in json.loads(bytes(response.body))
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=twr_refresh;")
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("id_token", [None, "header.payload.signature"])
@pytest.mark.parametrize("with_refresh_token", [True, False])
def test_the_token_document_is_the_token_response_schema_member_for_member(
    id_token: str | None, with_refresh_token: bool
) -> None:
    """``token_document`` builds the body without the model; it must be what the model (the OpenAPI schema of
    the answer) dumps, in the same order, without a null ``id_token``."""
    pair = TokenPair(
        access_token="a.b.c",
        expires_in=600,
        refresh_token="twr_" + "A" * 43,
        scope="openid profile",
        session_id="s-1",
        id_token=id_token,
    )
    reference = TokenResponse.of(pair).model_dump()
    if reference["id_token"] is None:
        del reference["id_token"]
    if not with_refresh_token:
        del reference["refresh_token"]
    document = token_document(pair, refresh_token=with_refresh_token)
    assert list(document.items()) == list(reference.items())

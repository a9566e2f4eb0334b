"""Hostile bodies on every route that reads one: each gets a clean 4xx in its route's shape, never a 500.

The /v1/* routes answer RFC 9457 problems, the /oauth/* routes the RFC 6749 error object; both read JSON with
the one decoder (``tokenward.api.json_body``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.client_support import secret_of
from tests.harness import STRONG_PASSWORD, RunningApp, bearer
from tokenward.api.json_body import MAX_DEPTH, MAX_NUMBER_CHARS

#: one route of each kind: a /v1/* model body and the three OAuth endpoints (form or JSON)
JSON_ROUTES = ("/v1/login", "/v1/password/forgot", "/oauth/token", "/oauth/revoke", "/oauth/introspect")
JSON = {"Content-Type": "application/json"}


def assert_invalid_request(response: httpx.Response, path: str, status: int = 400) -> str:
    """The route's refusal shape with ``invalid_request``; returns the message."""
    assert response.status_code == status, response.text
    body = response.json()
    if path.startswith("/oauth/"):
        assert response.headers["content-type"] == "application/json"
        assert set(body) == {"error", "error_description"}
        assert body["error"] == "invalid_request"
        message: str = body["error_description"]
        return message
    assert response.headers["content-type"] == "application/problem+json"
    assert body["code"] == ("invalid_request" if status == 400 else "unsupported_media_type")
    message = body["detail"]
    return message


async def post_raw(api: RunningApp, path: str, content: bytes | str, **headers: str) -> httpx.Response:
    return await api.client.post(path, content=content, headers=JSON | headers)


@pytest.mark.threat("T-API-01", "T-API-03")
@pytest.mark.parametrize("path", JSON_ROUTES)
async def test_deeply_nested_body_is_400_not_a_recursion_error(api: RunningApp, path: str) -> None:
    """Attack: 1,000 nested arrays make a recursive decoder raise RecursionError, which used to be a 500."""
    message = assert_invalid_request(await post_raw(api, path, "[" * 1000 + "]" * 1000), path)
    assert "deeper than 32 levels" in message
    # the limit is on nesting, not on a document of this API's real depth
    nested = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    response = await post_raw(api, path, nested)
    assert response.status_code in (400, 401), response.text
    assert "deeper" not in response.text


@pytest.mark.threat("T-API-01", "T-API-03")
@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(
    "number", ["1" * 5000, "1" * (MAX_NUMBER_CHARS + 1), "0." + "1" * MAX_NUMBER_CHARS, "-" + "9" * 4400]
)
async def test_overlong_number_is_400_before_the_digit_limit(api: RunningApp, path: str, number: str) -> None:
    """Attack: an integer of more than 4,300 digits makes int() raise ValueError (a 500), and a long one costs
    quadratic time to convert; any number literal over 64 characters is refused before conversion."""
    message = assert_invalid_request(await post_raw(api, path, '{"email": ' + number + "}"), path)
    assert f"longer than {MAX_NUMBER_CHARS} characters" in message
    assert number not in message


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("literal", ["1e999", "-1e400", "NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_are_refused(api: RunningApp, path: str, literal: str) -> None:
    """Attack: a float that overflows to infinity, or the non-JSON NaN/Infinity literals Python accepts."""
    assert_invalid_request(await post_raw(api, path, '{"email": ' + literal + "}"), path)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/login", '{"email": "a@example.com", "password": "x", "email": "b@example.com"}'),
        ("/oauth/token", '{"grant_type": "refresh_token", "refresh_token": "a", "refresh_token": "b"}'),
        ("/oauth/revoke", '{"token": "a", "token": "b"}'),
        ("/oauth/introspect", '{"token": "a", "token_type_hint": "access_token", "token": "b"}'),
    ],
)
async def test_duplicate_keys_are_refused(api: RunningApp, path: str, body: str) -> None:
    """Attack (parser differential): a key twice; Python keeps the last copy, other parsers the first, so a
    proxy or a WAF that checked one copy would let the other through. Neither is picked."""
    message = assert_invalid_request(await post_raw(api, path, body), path)
    assert message == "A JSON object in the body has the same key more than once"


async def test_duplicate_key_deep_in_a_body_is_refused(api: RunningApp) -> None:
    response = await post_raw(api, "/v1/logout", '{"all": {"x": 1, "x": 2}}')
    assert_invalid_request(response, "/v1/logout")


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{\x00}\x00", b'\xef\xbb\xbf{"email": "a"}', b"{'email': 'a'}", b'{"email": "a"'],
    ids=str,
)
async def test_bodies_that_are_not_utf8_json_are_400(api: RunningApp, path: str, body: bytes) -> None:
    """UTF-16, a byte-order mark, single quotes, a truncated document: 400, never a 500."""
    assert_invalid_request(await post_raw(api, path, body), path)


# media types ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/login", "/v1/signup", "/v1/password/forgot"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_v1_body_of_another_media_type_is_415(
    api: RunningApp, path: str, content_type: str | None
) -> None:
    """A JSON document sent as text/plain (the CORS "simple request" trick) or with no Content-Type is not
    read: 415 naming the media type that is."""
    headers = {"Content-Type": content_type} if content_type else {}
    content = b'{"email": "a@example.com", "password": "' + STRONG_PASSWORD.encode() + b'"}'
    response = await api.client.post(path, content=content, headers=headers)
    assert_invalid_request(response, path, status=415)
    assert response.headers["accept-post"] == "application/json"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", None])
async def test_oauth_body_of_another_media_type_is_415(
    api: RunningApp, path: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.client.post(path, content=b"token=a&grant_type=refresh_token", headers=headers)
    assert response.status_code == 415
    assert response.json()["error"] == "invalid_request"
    assert response.headers["accept-post"] == "application/x-www-form-urlencoded, application/json"


async def test_patch_of_another_media_type_is_415_with_accept_patch(api: RunningApp) -> None:
    _email, tokens = await api.new_user()
    response = await api.client.patch(
        "/v1/me",
        content=b'{"display_name": "x"}',
        headers=bearer(tokens["access_token"]) | {"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.headers["accept-patch"] == "application/json"


async def test_json_with_a_charset_is_json(api: RunningApp) -> None:
    response = await api.client.post(
        "/v1/password/forgot",
        content=b'{"email": "nobody@example.com"}',
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 202, response.text


async def test_an_optional_body_may_be_absent_without_a_content_type(api: RunningApp) -> None:
    _email, tokens = await api.new_user()
    response = await api.client.post("/v1/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text


# strict values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "true", 1, None, []])
async def test_logout_all_must_be_a_json_boolean(api: RunningApp, value: Any) -> None:
    """``{"all": "yes"}`` was read as true: a boolean in the document is a boolean on the server."""
    _email, tokens = await api.new_user()
    response = await api.client.post(
        "/v1/logout", json={"all": value}, headers=bearer(tokens["access_token"])
    )
    assert_invalid_request(response, "/v1/logout")
    me = await api.client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200  # refused, so nothing was ended


async def test_login_fields_must_be_strings(api: RunningApp) -> None:
    response = await api.client.post("/v1/login", json={"email": 12345, "password": STRONG_PASSWORD})
    message = assert_invalid_request(response, "/v1/login")
    assert message.startswith("email:")


@pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize("hint", ["id_token", "", "ACCESS_TOKEN"])
async def test_unknown_token_type_hint_is_refused(api: RunningApp, path: str, hint: str) -> None:
    client = await api.container.clients.create(f"hint-{path[-6:]}-{hint}")
    response = await api.client.post(
        path,
        data={"token": "abc", "token_type_hint": hint},
        auth=(client.client.id, secret_of(client)),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_token_type"


@pytest.mark.parametrize(("path", "field"), [("/oauth/revoke", "token"), ("/oauth/token", "refresh_token")])
async def test_empty_token_is_refused(api: RunningApp, path: str, field: str) -> None:
    response = await api.client.post(path, data={"grant_type": "refresh_token", field: ""})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_oauth_json_values_must_be_strings(api: RunningApp) -> None:
    response = await api.client.post("/oauth/token", json={"grant_type": "refresh_token", "refresh_token": 5})
    assert "must be a string" in assert_invalid_request(response, "/oauth/token")


# methods ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/me", "DELETE, GET, PATCH"),
        ("GET", "/v1/me/mfa/totp", "DELETE, POST"),
        ("GET", "/oauth/token", "POST"),
        ("PUT", "/oauth/introspect", "POST"),
        ("POST", "/.well-known/jwks.json", "GET"),
    ],
)
async def test_405_allows_every_method_of_the_path(
    api: RunningApp, method: str, path: str, allow: str
) -> None:
    """Three routes on one path (DELETE, GET and PATCH /v1/me): Allow names all, not just the first route's."""
    response = await api.client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    body = response.json()
    assert (body["error"] if path.startswith("/oauth/") else body["code"]) == (
        "invalid_request" if path.startswith("/oauth/") else "method_not_allowed"
    )

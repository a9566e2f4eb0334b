"""POST /oauth/token (RFC 6749 §6): form and JSON, the RFC error shape, no-store."""

from __future__ import annotations

import pytest

from tests.harness import RunningApp


async def test_refresh_with_a_json_body(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    response = await api.client.post(
        "/oauth/token", json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200
    assert set(response.json()) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "session_id",
    }


@pytest.mark.threat("T-API-04")
async def test_token_responses_are_never_cached(api: RunningApp) -> None:
    email, tokens = await api.new_user()
    login = await api.client.post(
        "/v1/login", json={"email": email, "password": "correct horse battery staple"}
    )
    refreshed = await api.refresh(tokens["refresh_token"])
    for response in (login, refreshed):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"refresh_token": "x"}, "invalid_request"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "twr_" + "A" * 43}, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "' OR '1'='1"}, "invalid_grant"),
    ],
)
async def test_bad_token_requests_get_rfc6749_errors(
    api: RunningApp, data: dict[str, str], error: str
) -> None:
    response = await api.client.post("/oauth/token", data=data)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert response.headers["cache-control"] == "no-store"
    submitted_token = data.get("refresh_token", "")
    if len(submitted_token) > 3:
        assert submitted_token not in body["error_description"]


async def test_unsupported_content_type_is_415(api: RunningApp) -> None:
    response = await api.client.post(
        "/oauth/token", content=b"grant_type=refresh_token", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["error"] == "invalid_request"
    assert response.headers["accept-post"] == "application/x-www-form-urlencoded, application/json"


async def test_repeated_parameters_are_refused(api: RunningApp) -> None:
    response = await api.client.post(
        "/oauth/token",
        content=b"grant_type=refresh_token&refresh_token=a&refresh_token=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"

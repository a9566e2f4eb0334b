"""Attacks on the OpenID Connect provider (RFC 9700 as the rule book), each refused with its exact error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.harness import RunningApp, bearer, make_settings, running_app
from tests.oidc_support import (
    LOGGED_OUT,
    REDIRECT,
    FakeBrowser,
    authorize_params,
    code_for,
    exchange,
    install_fake_browser,
    pkce_pair,
    query_of,
    refresh_as_client,
    register,
    signed_in_user,
)

from tokenward.domain.clients import ClientType


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with running_app(make_settings(tmp_path_factory.mktemp("tokenward"))) as running:
        yield running


@pytest.fixture
async def browser(api: RunningApp) -> FakeBrowser:
    fake = install_fake_browser(api)
    await signed_in_user(api, fake)
    return fake


def grant_error(description: str) -> dict[str, str]:
    return {"error": "invalid_grant", "error_description": description}


@pytest.mark.threat("T-OIDC-03")
async def test_a_replayed_code_is_refused_and_revokes_the_tokens_issued_from_it(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    verifier, challenge = pkce_pair()
    code = await code_for(api, client.id, challenge)
    tokens = (await exchange(api, client.id, code, verifier)).json()

    replay = await exchange(api, client.id, code, verifier)

    assert replay.status_code == 400
    assert replay.json() == grant_error(
        "The authorization code was already used; the tokens issued from it are revoked"
    )
    assert (await api.client.get("/userinfo", headers=bearer(tokens["access_token"]))).status_code == 401
    refreshed = await refresh_as_client(api, client.id, tokens["refresh_token"])
    assert refreshed.json() == grant_error("The refresh token is invalid")


@pytest.mark.threat("T-OIDC-01")
async def test_a_wrong_code_verifier_is_refused(api: RunningApp, browser: FakeBrowser) -> None:
    client = (await register(api)).client
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()

    response = await exchange(api, client.id, await code_for(api, client.id, challenge), other_verifier)

    assert response.json() == grant_error("The code_verifier does not match the code_challenge")


@pytest.mark.threat("T-OIDC-01")
@pytest.mark.parametrize(
    ("pkce", "description"),
    [
        ({}, "code_challenge is required: every client uses PKCE with S256"),
        (
            {"code_challenge_method": "plain"},
            "code_challenge_method must be S256 (plain and a missing method are refused)",
        ),
        (
            {"code_challenge_method": None},
            "code_challenge_method must be S256 (plain and a missing method are refused)",
        ),
    ],
)
async def test_authorization_without_s256_pkce_is_refused(
    api: RunningApp, browser: FakeBrowser, pkce: dict[str, str | None], description: str
) -> None:
    client = (await register(api)).client
    _, challenge = pkce_pair()
    params = {k: v for k, v in {**authorize_params(client.id, challenge), **pkce}.items() if v is not None}
    if not pkce:
        del params["code_challenge"]

    response = await api.client.get("/oauth/authorize", params=params)

    assert response.status_code == 302
    assert query_of(response) | {"iss": "-"} == {
        "error": "invalid_request",
        "error_description": description,
        "state": "st-123",
        "iss": "-",
    }


@pytest.mark.threat("T-OIDC-02")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "/",
        REDIRECT.upper(),
        "https://APP.example/callback",
        REDIRECT + "?next=evil",
        "https://evil.example/cb",
    ],
)
async def test_a_redirect_uri_that_is_not_exactly_registered_is_never_redirected_to(
    api: RunningApp, browser: FakeBrowser, redirect_uri: str
) -> None:
    client = (await register(api)).client
    _, challenge = pkce_pair()

    response = await api.client.get(
        "/oauth/authorize", params={**authorize_params(client.id, challenge), "redirect_uri": redirect_uri}
    )

    assert response.status_code == 400
    assert "location" not in response.headers
    assert "did not register" in response.text


@pytest.mark.threat("T-OIDC-02")
async def test_an_unknown_client_gets_an_error_page_not_a_redirect(
    api: RunningApp, browser: FakeBrowser
) -> None:
    _, challenge = pkce_pair()
    response = await api.client.get("/oauth/authorize", params=authorize_params("twc-unknown", challenge))
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.threat("T-OIDC-02")
@pytest.mark.parametrize(
    "changed",
    [
        {"state": "é"},
        {"state": "x" * 513},
        {"nonce": "\x00"},
        {"redirect_uri": "https://app.example/" + "a" * 2048},
    ],
)
async def test_an_odd_or_oversized_parameter_gets_the_error_page_and_no_code(
    api: RunningApp, browser: FakeBrowser, changed: dict[str, str]
) -> None:
    """Attack: smuggle a control character, a non-ASCII state or a huge value through the authorization
    request (a state the client cannot compare, a URL over the header limit on the way back)."""
    await signed_in_user(api, browser)
    client = (await register(api)).client
    _, challenge = pkce_pair()

    response = await api.client.get(
        "/oauth/authorize", params={**authorize_params(client.id, challenge), **changed}
    )

    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not printable ASCII" in response.text
    issued = await api.container.audit_log.list_events(event_type="authorization_code_issued")
    assert [event for event in issued if event.details["client_id"] == client.id] == []


@pytest.mark.threat("T-OIDC-04")
async def test_a_code_issued_to_one_client_is_refused_to_another(
    api: RunningApp, browser: FakeBrowser
) -> None:
    victim, attacker = (await register(api)).client, (await register(api)).client
    verifier, challenge = pkce_pair()
    code = await code_for(api, victim.id, challenge)

    response = await exchange(api, attacker.id, code, verifier)

    assert response.json() == grant_error("The authorization code was issued to another client")


@pytest.mark.threat("T-OIDC-04")
async def test_a_code_redeemed_with_another_redirect_uri_is_refused(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api, redirect_uris=(REDIRECT, "https://app.example/other"))).client
    verifier, challenge = pkce_pair()
    code = await code_for(api, client.id, challenge)

    response = await exchange(api, client.id, code, verifier, redirect_uri="https://app.example/other")

    assert response.json() == grant_error("redirect_uri differs from the one in the authorization request")


@pytest.mark.threat("T-OIDC-03")
async def test_a_code_older_than_a_minute_is_refused(api: RunningApp, browser: FakeBrowser) -> None:
    client = (await register(api)).client
    verifier, challenge = pkce_pair()
    code = await code_for(api, client.id, challenge)
    api.clock.advance(61)

    response = await exchange(api, client.id, code, verifier)

    assert response.json() == grant_error("The authorization code has expired")


@pytest.mark.threat("T-OIDC-07")
@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token"])
async def test_implicit_and_hybrid_response_types_are_refused(
    api: RunningApp, browser: FakeBrowser, response_type: str
) -> None:
    client = (await register(api)).client
    _, challenge = pkce_pair()
    params = {**authorize_params(client.id, challenge), "response_type": response_type}

    answer = query_of(await api.client.get("/oauth/authorize", params=params))

    assert answer["error"] == "unsupported_response_type"
    assert "code" not in answer


@pytest.mark.threat("T-OIDC-07")
async def test_the_password_grant_is_refused(api: RunningApp) -> None:
    response = await api.client.post(
        "/oauth/token", data={"grant_type": "password", "username": "a@example.com", "password": "x"}
    )
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Only grant_type=authorization_code and refresh_token are supported",
    }


@pytest.mark.threat("T-OIDC-11")
async def test_a_confidential_client_is_refused_without_its_right_secret(
    api: RunningApp, browser: FakeBrowser
) -> None:
    created = await register(api, ClientType.CONFIDENTIAL)
    verifier, challenge = pkce_pair()
    code = await code_for(api, created.client.id, challenge)
    grant = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }

    wrong_secret = await api.client.post("/oauth/token", data=grant, auth=(created.client.id, "tws_wrong"))
    as_if_public = await exchange(api, created.client.id, code, verifier)

    for response in (wrong_secret, as_if_public):
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "Client authentication failed",
        }
        assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.threat("T-OIDC-09")
async def test_an_unregistered_post_logout_redirect_uri_is_refused(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    verifier, challenge = pkce_pair()
    tokens = (await exchange(api, client.id, await code_for(api, client.id, challenge), verifier)).json()

    response = await api.client.get(
        "/oauth/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
    )

    assert response.status_code == 400
    assert "location" not in response.headers
    assert "post_logout_redirect_uri is not registered for this client" in response.text
    still = await api.client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert still.status_code == 200  # a refused logout ends nothing


@pytest.mark.threat("T-OIDC-09")
async def test_an_id_token_of_another_client_is_refused_as_id_token_hint(
    api: RunningApp, browser: FakeBrowser
) -> None:
    first, second = (await register(api)).client, (await register(api)).client
    verifier, challenge = pkce_pair()
    tokens = (await exchange(api, first.id, await code_for(api, first.id, challenge), verifier)).json()

    response = await api.client.get(
        "/oauth/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "client_id": second.id,
            "post_logout_redirect_uri": LOGGED_OUT,
        },
    )

    assert response.status_code == 400
    assert "id_token_hint was issued to another client than client_id" in response.text
    assert (await api.client.get("/userinfo", headers=bearer(tokens["access_token"]))).status_code == 200


@pytest.mark.threat("T-OIDC-10")
async def test_an_id_token_is_not_an_access_token(api: RunningApp, browser: FakeBrowser) -> None:
    client = (await register(api)).client
    verifier, challenge = pkce_pair()
    tokens = (await exchange(api, client.id, await code_for(api, client.id, challenge), verifier)).json()

    response = await api.client.get("/userinfo", headers=bearer(tokens["id_token"]))

    assert response.status_code == 401
    assert response.json()["detail"] == "wrong_type"


@pytest.mark.threat("T-OIDC-05")
async def test_every_authorization_response_names_the_issuer_and_returns_state_unchanged(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    _, challenge = pkce_pair()
    params = authorize_params(client.id, challenge, state="a b&c=d/~%+")

    success = query_of(await api.client.get("/oauth/authorize", params=params))
    failure = query_of(await api.client.get("/oauth/authorize", params={**params, "scope": "openid admin"}))

    assert success["iss"] == failure["iss"] == api.settings.issuer
    assert success["state"] == failure["state"] == "a b&c=d/~%+"
    assert failure["error"] == "invalid_scope"


@pytest.mark.threat("T-OIDC-08")
async def test_a_public_clients_refresh_token_is_bound_to_it_and_rotates(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client, other = (await register(api)).client, (await register(api)).client
    verifier, challenge = pkce_pair()
    tokens = (await exchange(api, client.id, await code_for(api, client.id, challenge), verifier)).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    stolen = await api.client.post("/oauth/token", data={**refresh, "client_id": other.id})
    rotated = await api.client.post("/oauth/token", data={**refresh, "client_id": client.id})

    assert stolen.json() == grant_error("The refresh token was not issued to this client")
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]

"""The OpenID Connect code flow over the API, with a fake browser sign-in: discovery, authorize, the code
grant, ID token claims, userinfo, refresh bound to its client, prompt and max_age, RP-initiated logout."""

from __future__ import annotations

import pytest

from tests.harness import TEST_ISSUER, RunningApp, bearer
from tests.oidc_support import (
    LOGGED_OUT,
    REDIRECT,
    FakeBrowser,
    authorize_params,
    code_for,
    exchange,
    install_fake_browser,
    jwt_parts,
    pkce_pair,
    query_of,
    refresh_as_client,
    register,
    signed_in_user,
)
from tokenward.domain.clients import ClientType
from tokenward.domain.oidc.id_tokens import half_hash


@pytest.fixture
def browser(api: RunningApp) -> FakeBrowser:
    return install_fake_browser(api)


async def test_discovery_advertises_the_code_flow_and_nothing_else(api: RunningApp) -> None:
    document = (await api.client.get("/.well-known/openid-configuration")).json()
    assert document["authorization_endpoint"] == f"{TEST_ISSUER}/oauth/authorize"
    assert document["userinfo_endpoint"] == f"{TEST_ISSUER}/userinfo"
    assert document["end_session_endpoint"] == f"{TEST_ISSUER}/oauth/logout"
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert (await api.client.get("/.well-known/oauth-authorization-server")).json() == document


async def test_the_whole_flow_for_a_public_client(api: RunningApp, browser: FakeBrowser) -> None:
    client = (await register(api)).client
    email, browser_tokens = await signed_in_user(api, browser)
    verifier, challenge = pkce_pair()

    response = await exchange(api, client.id, await code_for(api, client.id, challenge), verifier)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    header, claims = jwt_parts(tokens["id_token"])
    assert header["typ"] == "JWT"
    assert claims["aud"] == client.id
    assert claims["iss"] == TEST_ISSUER
    assert claims["nonce"] == "n-456"
    assert claims["sid"] == browser_tokens["session_id"]
    assert claims["amr"] == ["pwd"]
    assert claims["at_hash"] == half_hash(tokens["access_token"], header["alg"])
    assert {"exp", "iat", "auth_time", "sub"} <= claims.keys()
    assert jwt_parts(tokens["access_token"])[1]["client_id"] == client.id
    assert tokens["scope"] == "email openid profile"

    info = await api.client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert info.json() == {"sub": claims["sub"], "email": email, "email_verified": False}

    refreshed = await refresh_as_client(api, client.id, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    renewed = refreshed.json()
    assert jwt_parts(renewed["access_token"])[1]["client_id"] == client.id
    # OpenID Core §12.2: a refreshed ID token says the same of the sign-in, without the nonce
    renewed_header, renewed_claims = jwt_parts(renewed["id_token"])
    for claim in ("iss", "sub", "aud", "auth_time", "amr", "sid"):
        assert renewed_claims[claim] == claims[claim], claim
    assert "nonce" not in renewed_claims
    assert renewed_claims["at_hash"] == half_hash(renewed["access_token"], renewed_header["alg"])


async def test_a_session_without_the_openid_scope_gets_no_id_token(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    await signed_in_user(api, browser)
    verifier, challenge = pkce_pair()

    first = await exchange(api, client.id, await code_for(api, client.id, challenge, scope="email"), verifier)
    refreshed = await refresh_as_client(api, client.id, first.json()["refresh_token"])

    assert first.status_code == refreshed.status_code == 200
    assert "id_token" not in first.json()
    assert "id_token" not in refreshed.json()
    assert refreshed.json()["scope"] == "email"


async def test_a_confidential_client_authenticates_with_its_secret(
    api: RunningApp, browser: FakeBrowser
) -> None:
    created = await register(api, ClientType.CONFIDENTIAL)
    await signed_in_user(api, browser)
    verifier, challenge = pkce_pair()
    code = await code_for(api, created.client.id, challenge)

    no_secret = await exchange(api, created.client.id, code, verifier)
    assert no_secret.status_code == 401
    assert no_secret.json()["error"] == "invalid_client"

    code = await code_for(api, created.client.id, challenge)
    assert created.secret is not None
    response = await api.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(created.client.id, created.secret),
    )
    assert response.status_code == 200, response.text
    assert jwt_parts(response.json()["id_token"])[1]["aud"] == created.client.id


async def test_a_refresh_token_is_redeemed_only_by_its_client(api: RunningApp, browser: FakeBrowser) -> None:
    client, other = (await register(api)).client, (await register(api)).client
    await signed_in_user(api, browser)
    verifier, challenge = pkce_pair()
    tokens = (await exchange(api, client.id, await code_for(api, client.id, challenge), verifier)).json()

    for data in ({"client_id": other.id}, {}):
        refused = await api.client.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **data},
        )
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "invalid_grant",
            "error_description": "The refresh token was not issued to this client",
        }


async def test_a_browser_not_signed_in_is_sent_to_the_hosted_sign_in_page(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    _, challenge = pkce_pair()
    params = authorize_params(client.id, challenge)

    response = await api.client.get("/oauth/authorize", params=params)

    assert response.status_code == 302
    assert response.headers["location"].startswith("/account/sign-in?return_to=%2Foauth%2Fauthorize%3F")
    silent = await api.client.get("/oauth/authorize", params={**params, "prompt": "none"})
    assert query_of(silent)["error"] == "login_required"
    assert query_of(silent)["state"] == "st-123"


async def test_prompt_login_asks_again_and_accepts_only_a_newer_sign_in(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    await signed_in_user(api, browser)
    _, challenge = pkce_pair()

    forced = await api.client.get(
        "/oauth/authorize", params=authorize_params(client.id, challenge, prompt="login")
    )
    assert forced.status_code == 302
    return_to = query_of(forced)["return_to"]
    assert query_of(forced)["prompt"] == "login"
    assert "prompt" not in return_to
    assert "login_after=" in return_to

    api.clock.advance(5)
    stale = await api.client.get(return_to)  # the browser's sign-in is from before the request
    assert stale.headers["location"].startswith("/account/sign-in?")
    current = browser.current
    assert current is not None
    browser.sign_in(current.user_id, current.session_id, api.clock.now())
    assert "code" in query_of(await api.client.get(return_to))


async def test_max_age_sends_an_older_sign_in_back_to_the_sign_in_page(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    await signed_in_user(api, browser)
    _, challenge = pkce_pair()
    api.clock.advance(120)

    assert "code" in query_of(
        await api.client.get("/oauth/authorize", params=authorize_params(client.id, challenge, max_age="300"))
    )
    again = await api.client.get(
        "/oauth/authorize", params=authorize_params(client.id, challenge, max_age="60")
    )
    assert again.headers["location"].startswith("/account/sign-in?")
    assert query_of(again)["prompt"] == "login"


async def test_a_client_that_is_not_first_party_is_sent_to_the_consent_page(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api, first_party=False)).client
    await signed_in_user(api, browser)
    _, challenge = pkce_pair()

    asked = await api.client.get("/oauth/authorize", params=authorize_params(client.id, challenge))
    silent = await api.client.get(
        "/oauth/authorize", params=authorize_params(client.id, challenge, prompt="none")
    )

    assert asked.status_code == 302
    assert asked.headers["location"].startswith("/account/consent?")
    assert query_of(asked)["return_to"].startswith(
        f"/oauth/authorize?response_type=code&client_id={client.id}"
    )
    assert query_of(silent)["error"] == "consent_required"
    assert query_of(silent)["state"] == "st-123"


async def test_rp_initiated_logout_ends_the_browser_session_and_the_clients(
    api: RunningApp, browser: FakeBrowser
) -> None:
    client = (await register(api)).client
    _, browser_tokens = await signed_in_user(api, browser)
    verifier, challenge = pkce_pair()
    tokens = (await exchange(api, client.id, await code_for(api, client.id, challenge), verifier)).json()

    response = await api.client.get(
        "/oauth/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT, "state": "s-9"},
    )

    assert response.status_code == 302
    assert response.headers["location"] == f"{LOGGED_OUT}?state=s-9"
    for refresh_token in (tokens["refresh_token"], browser_tokens["refresh_token"]):
        assert (await api.refresh(refresh_token)).status_code == 400
    assert (await api.client.get("/userinfo", headers=bearer(tokens["access_token"]))).status_code == 401


async def test_a_loopback_redirect_uri_may_use_any_port(api: RunningApp, browser: FakeBrowser) -> None:
    client = (await register(api, redirect_uris=("http://127.0.0.1/cb",))).client
    await signed_in_user(api, browser)
    _, challenge = pkce_pair()
    params = {**authorize_params(client.id, challenge), "redirect_uri": "http://127.0.0.1:51234/cb"}

    response = await api.client.get("/oauth/authorize", params=params)

    assert response.headers["location"].startswith("http://127.0.0.1:51234/cb?code=")

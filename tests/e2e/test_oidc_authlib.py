"""A standard OpenID Connect library (Authlib's client) against a live ``tokenward serve``: discovery, the
authorization URL with PKCE and nonce, sign-in on the hosted page, the code exchange, ID-token validation
against the JWKS, userinfo, refresh and RP-initiated logout, for a public and for a confidential client.

Nothing here is Tokenward-specific except the operator's ``tokenward clients create``; the browser is driven
over HTTP (``oidc_relying_party.PageBrowser``). One server for the module.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.errors import MismatchingStateException

from tests.e2e.oidc_relying_party import (
    PASSWORD,
    CodeIDToken,
    JsonWebKey,
    OAuth2Client,
    PageBrowser,
    jwt,
    register_client,
)
from tests.servers import free_port, tokenward_server

SCOPE = "openid email profile"


@dataclass
class Provider:
    base: str
    workdir: Path
    redirect_uri: str
    logged_out_uri: str

    @property
    def metadata(self) -> dict[str, Any]:
        document: dict[str, Any] = httpx.get(f"{self.base}/.well-known/openid-configuration").json()
        return document


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    workdir = tmp_path_factory.mktemp("oidc")
    app_port = free_port()
    with tokenward_server(workdir) as base:
        yield Provider(
            base, workdir, f"http://127.0.0.1:{app_port}/callback", f"http://127.0.0.1:{app_port}/bye"
        )


def new_user(provider: Provider) -> str:
    email = f"rp-{secrets.token_hex(4)}@example.com"
    signup = httpx.post(f"{provider.base}/v1/signup", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 202
    return email


def register(provider: Provider, client_type: str) -> dict[str, Any]:
    return register_client(
        provider.workdir,
        provider.base,
        f"{client_type} relying party",
        "--type",
        client_type,
        "--redirect-uri",
        provider.redirect_uri,
        "--post-logout-redirect-uri",
        provider.logged_out_uri,
        "--first-party",
    )


def library_client(provider: Provider, registered: dict[str, Any]) -> OAuth2Client:
    secret = registered.get("client_secret")
    return OAuth2Client(
        client_id=registered["client_id"],
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        redirect_uri=provider.redirect_uri,
        scope=SCOPE,
        code_challenge_method="S256",
    )


def validated_id_token(provider: Provider, token: dict[str, Any], client_id: str, nonce: str) -> Any:
    """The library's own ID-token validation (OpenID Core §3.1.3.7) against the published JWKS."""
    metadata = provider.metadata
    keys = JsonWebKey.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": metadata["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


def code_flow(
    provider: Provider, client: OAuth2Client, browser: PageBrowser, email: str
) -> tuple[Any, dict[str, Any], str]:
    metadata = provider.metadata
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = browser.sign_in_through(url, email, provider.redirect_uri)
    assert parse_qs(urlsplit(callback).query)["iss"] == [metadata["issuer"]]
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier
    )
    return validated_id_token(provider, token, client.client_id, nonce), token, state


@pytest.mark.parametrize("client_type", ["public", "confidential"])
def test_the_library_signs_a_user_in_refreshes_and_signs_out(provider: Provider, client_type: str) -> None:
    registered = register(provider, client_type)
    email = new_user(provider)
    with library_client(provider, registered) as client, PageBrowser(provider.base) as browser:
        _signs_in_refreshes_and_signs_out(provider, registered, client, browser, email)


def _signs_in_refreshes_and_signs_out(
    provider: Provider, registered: dict[str, Any], client: OAuth2Client, browser: PageBrowser, email: str
) -> None:
    claims, token, _ = code_flow(provider, client, browser, email)

    assert claims["aud"] == registered["client_id"]
    assert claims["amr"] == ["pwd"]
    userinfo = client.get(provider.metadata["userinfo_endpoint"])
    assert userinfo.json() == {"sub": claims["sub"], "email": email, "email_verified": False}
    refreshed = client.refresh_token(
        provider.metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["refresh_token"] != token["refresh_token"]

    logout = browser.open(
        f"{provider.metadata['end_session_endpoint']}?"
        + str(
            httpx.QueryParams(
                id_token_hint=token["id_token"],
                post_logout_redirect_uri=provider.logged_out_uri,
                state="bye-1",
            )
        ),
        stop_at=provider.logged_out_uri,
    )
    assert logout.headers["location"] == f"{provider.logged_out_uri}?state=bye-1"
    assert client.get(provider.metadata["userinfo_endpoint"]).status_code == 401
    # the browser was signed out too: the next authorization request asks for the password again
    url, _ = client.create_authorization_url(
        provider.metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
    )
    assert "csrf_token" in browser.open(url, stop_at=provider.redirect_uri).text


@pytest.mark.threat("T-OIDC-06")
def test_a_stale_state_is_refused_by_the_library(provider: Provider) -> None:
    """``state`` is the client's defence against cross-site request forgery on its redirect URI: the server
    returns it unchanged, the library compares it with the one it stored. An answer carrying an older state
    (an attacker's code injected into the victim's browser) is refused before any code exchange."""
    registered = register(provider, "public")
    email = new_user(provider)
    with library_client(provider, registered) as client, PageBrowser(provider.base) as browser:
        _, _, stale_state = code_flow(provider, client, browser, email)
        url, _fresh_state = client.create_authorization_url(
            provider.metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n2"
        )
        callback = browser.sign_in_through(url, email, provider.redirect_uri)

        with pytest.raises(MismatchingStateException):
            client.fetch_token(
                provider.metadata["token_endpoint"], authorization_response=callback, state=stale_state
            )

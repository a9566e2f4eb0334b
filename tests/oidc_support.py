"""Helpers for the OpenID Connect tests: a fake browser sign-in, PKCE pairs, reading redirects and JWTs."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import Request

from tests.harness import TEST_ISSUER, RunningApp
from tokenward.api.browser_sign_in import sign_in_page_url
from tokenward.domain.clients import ClientSettings, ClientType, NewClient
from tokenward.domain.oidc import BrowserSignIn


@dataclass
class FakeBrowser:
    """``BrowserSessions`` for tests: whoever ``sign_in`` named is signed in on every request."""

    current: BrowserSignIn | None = None
    sign_in_urls: list[str] = field(default_factory=list)

    def sign_in(
        self, user_id: str, session_id: str, auth_time: datetime, amr: tuple[str, ...] = ("pwd",)
    ) -> None:
        self.current = BrowserSignIn(user_id=user_id, session_id=session_id, auth_time=auth_time, amr=amr)

    async def signed_in(self, request: Request) -> BrowserSignIn | None:
        return self.current

    def sign_in_url(self, return_to: str, *, force: bool) -> str:
        url = sign_in_page_url(return_to, force=force)
        self.sign_in_urls.append(url)
        return url


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(response: httpx.Response) -> dict[str, str]:
    """The query parameters of a redirect's ``Location``, one value each."""
    return query_of_url(response.headers["location"])


def query_of_url(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def decode(segment: str) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        return decoded

    header, payload, _ = token.split(".")
    return decode(header), decode(payload)


REDIRECT = "https://app.example/callback"
LOGGED_OUT = "https://app.example/bye"


def install_fake_browser(api: RunningApp) -> FakeBrowser:
    fake = FakeBrowser()
    api.app.state.browser_sessions = fake
    return fake


async def register(api: RunningApp, client_type: ClientType = ClientType.PUBLIC, **changes: Any) -> NewClient:
    settings = ClientSettings(
        redirect_uris=(REDIRECT,), post_logout_redirect_uris=(LOGGED_OUT,), first_party=True
    )
    return await api.container.clients.create("web app", client_type, replace(settings, **changes))


async def signed_in_user(api: RunningApp, browser: FakeBrowser) -> tuple[str, dict[str, Any]]:
    email, tokens = await api.new_user()
    principal = await api.container.sessions.authenticate(tokens["access_token"])
    browser.sign_in(principal.user.id, principal.session.id, principal.session.auth_time)
    return email, tokens


def authorize_params(client_id: str, challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid email profile",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


async def code_for(api: RunningApp, client_id: str, challenge: str, **extra: str) -> str:
    response = await api.client.get(
        "/oauth/authorize", params=authorize_params(client_id, challenge, **extra)
    )
    assert response.status_code == 302, response.text
    answer = query_of(response)
    assert answer["state"] == "st-123"
    assert answer["iss"] == TEST_ISSUER
    return answer["code"]


async def exchange(api: RunningApp, client_id: str, code: str, verifier: str, **extra: str) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": client_id,
        **extra,
    }
    return await api.client.post("/oauth/token", data=data)


async def refresh_as_client(api: RunningApp, client_id: str, refresh_token: str) -> httpx.Response:
    """The refresh grant for a public client's refresh token."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    return await api.client.post("/oauth/token", data=data)

"""Helpers for the OpenID Connect tests: a fake browser sign-in, PKCE pairs, reading redirects and JWTs."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import Request

from tokenward.api.browser_sign_in import sign_in_page_url
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
    location = response.headers["location"]
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def decode(segment: str) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        return decoded

    header, payload, _ = token.split(".")
    return decode(header), decode(payload)

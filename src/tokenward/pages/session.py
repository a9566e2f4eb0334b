"""The hosted pages' own session: a sealed ``__Host-`` cookie.

The cookie holds what a signed-in page needs (the session's access and refresh tokens, exactly what an app of
the API would hold), the per-session CSRF synchronizer token, and short-lived state between two pages (the MFA
token of a sign-in in progress, a pending return URL, a TOTP secret being enrolled, the channel a step-up code
went to, a one-line notice). It is sealed with AES-256-GCM under a key derived from the key-encryption key: the
browser stores it but can neither read nor change it, and a cookie planted by someone else does not open, so
its CSRF token is one the server chose. The cookie is ``HttpOnly`` (no script reads it), ``Secure``,
``SameSite=Lax`` and ``Path=/`` with the ``__Host-`` prefix (no other host, not even a sub-domain, can set or
shadow it).

Signing in replaces the CSRF token (no token chosen before the sign-in survives it); signing out replaces the
whole cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PAGE_COOKIE = "__Host-tokenward-page"
_AAD = b"tokenward hosted pages session v1"
_NONCE_BYTES = 12
#: a sealed cookie larger than this is not ours (browsers keep at most about 4 KiB per cookie)
MAX_COOKIE_CHARS = 4096


def derive_page_secret(kek: bytes) -> bytes:
    """A key of its own for the page cookie, derived from the KEK so every server process shares it."""
    return hmac.new(kek, b"tokenward hosted pages cookie key", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class PageSession:
    csrf: str
    access_token: str | None = None
    refresh_token: str | None = None
    mfa_token: str | None = None
    return_to: str | None = None
    #: the otpauth:// URI of a TOTP enrolment waiting for its first code
    totp_uri: str | None = None
    #: the channel (``sms``, ``email``) a step-up code was just sent on: the account page asks for that code
    step_up: str | None = None
    notice: str | None = None

    @classmethod
    def anonymous(cls) -> PageSession:
        return cls(csrf=secrets.token_urlsafe(32))

    @property
    def signed_in(self) -> bool:
        return self.access_token is not None

    def with_tokens(self, access_token: str, refresh_token: str) -> PageSession:
        return replace(self, access_token=access_token, refresh_token=refresh_token)

    def started(self, access_token: str, refresh_token: str) -> PageSession:
        """A new signed-in session: a fresh CSRF token, nothing carried over from before the sign-in."""
        return PageSession(
            csrf=secrets.token_urlsafe(32), access_token=access_token, refresh_token=refresh_token
        )

    def __repr__(self) -> str:
        return f"PageSession(signed_in={self.signed_in})"


class PageSessionSeal:
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(secret)

    def seal(self, session: PageSession) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps({k: v for k, v in asdict(session).items() if v is not None}).encode()
        blob = nonce + self._aead.encrypt(nonce, plain, _AAD)
        return base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def open(self, value: str | None) -> PageSession | None:
        """The session in a cookie value, or ``None`` for anything this server did not seal."""
        if not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            blob = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _AAD)
            data = json.loads(plain)
            return PageSession(**data)
        except (binascii.Error, ValueError, InvalidTag, TypeError):
            return None

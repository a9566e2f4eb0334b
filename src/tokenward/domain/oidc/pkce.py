"""PKCE (RFC 7636) with ``S256`` only: ``plain`` would hand the verifier to whoever sees the authorization
request, so it is refused for every client (RFC 9700 §2.1.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from tokenward.errors import InvalidGrant, InvalidRequest

S256 = "S256"
#: base64url of a SHA-256 digest, no padding: 43 characters
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
#: RFC 7636 §4.1: 43 to 128 unreserved characters
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_code_challenge(challenge: str | None, method: str | None) -> str:
    """The challenge of an authorization request, or ``InvalidRequest`` (missing, ``plain``, malformed)."""
    if not challenge:
        raise InvalidRequest("code_challenge is required: every client uses PKCE with S256")
    if method != S256:
        raise InvalidRequest("code_challenge_method must be S256 (plain and a missing method are refused)")
    if not _CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be the base64url SHA-256 of the code verifier")
    return challenge


def verify_code_verifier(verifier: str | None, challenge: str) -> None:
    """``InvalidGrant`` unless ``verifier`` is the one the challenge was made from (constant-time)."""
    if not verifier:
        raise InvalidRequest("code_verifier is required")
    if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(s256(verifier), challenge):
        raise InvalidGrant("The code_verifier does not match the code_challenge")

"""TOTP (RFC 6238) as authenticator apps support it: 160-bit secret, SHA-1, 6 digits, 30-second steps.

``matching_step`` returns the time step a code belongs to, looking one step either side of now (clock drift
between phone and server) and no further. The caller stores the step it accepted and refuses any step that is
not newer (``MfaRepository.claim_totp_step``), which is what makes each code usable once. All candidate codes
are compared with ``hmac.compare_digest`` so the comparison time says nothing about the code.
"""

from __future__ import annotations

import base64
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno

SECRET_BYTES = 20
DIGITS = 6
STEP_SECONDS = 30
#: steps accepted either side of the current one
WINDOW = 1


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """What starting an enrolment hands the user once: the secret, as text, as a URI and as a QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str

    def __repr__(self) -> str:
        return "TotpEnrolment([redacted])"


def new_totp_secret() -> str:
    """A 160-bit secret (RFC 4226 §4 recommends at least that), base32 without padding."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def looks_like_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, now: datetime, *, window: int = WINDOW) -> int | None:
    """The time step within ``window`` steps of ``now`` whose code equals ``code``, else ``None``."""
    if not looks_like_totp(code):
        return None
    current = time_step(now)
    found: int | None = None
    for step in range(current - window, current + window + 1):
        # no early exit: every candidate is computed and compared, so timing does not reveal which matched
        if hmac.compare_digest(code_at_step(secret, step), code) and found is None:
            found = step
    return found


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read (issuer in the label and as a parameter)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_code_svg(uri: str) -> str:
    """The URI as a QR code in SVG, so a client can show it without another library."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")

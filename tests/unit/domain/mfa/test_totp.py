"""TOTP: the RFC 4226 and RFC 6238 test vectors, the ±1 step window, and the encoding of secrets."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from tokenward.domain.mfa.totp import (
    code_at_step,
    matching_step,
    new_totp_secret,
    provisioning_uri,
    qr_code_svg,
    time_step,
)

#: the RFC 4226 Appendix D / RFC 6238 Appendix B SHA-1 secret, "12345678901234567890"
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()

RFC4226_HOTP = [
    "755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489",
]  # fmt: skip

#: RFC 6238 Appendix B, SHA-1 rows: Unix time -> 8-digit TOTP
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226_HOTP)))
def test_rfc4226_appendix_d_vectors(counter: int, expected: str) -> None:
    assert code_at_step(RFC_SECRET, counter) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC6238_SHA1)
def test_rfc6238_appendix_b_vectors(unix_time: int, expected: str) -> None:
    moment = datetime.fromtimestamp(unix_time, UTC)
    # the 8-digit vectors are the library's; ours are the same truncation with 6 digits (the last six)
    assert pyotp.TOTP(RFC_SECRET, digits=8).at(moment) == expected
    assert code_at_step(RFC_SECRET, time_step(moment)) == expected[-6:]
    assert matching_step(RFC_SECRET, expected[-6:], moment) == unix_time // 30


NOW = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_codes_one_step_either_side_are_accepted(offset: int) -> None:
    code = code_at_step(RFC_SECRET, time_step(NOW) + offset)
    assert matching_step(RFC_SECRET, code, NOW) == time_step(NOW) + offset


@pytest.mark.threat("T-MFA-03")
@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_codes_two_or_more_steps_away_are_refused(offset: int) -> None:
    """Attack: use an old (or future) code outside the ±1 step window."""
    code = code_at_step(RFC_SECRET, time_step(NOW) + offset)
    assert code not in {code_at_step(RFC_SECRET, time_step(NOW) + d) for d in (-1, 0, 1)}
    assert matching_step(RFC_SECRET, code, NOW) is None


@pytest.mark.threat("T-MFA-03")
@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 123456", "12 456"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert matching_step(RFC_SECRET, code, NOW) is None


def test_window_boundaries_follow_thirty_second_steps() -> None:
    step_start = datetime.fromtimestamp(time_step(NOW) * 30, UTC)
    code = code_at_step(RFC_SECRET, time_step(NOW) - 1)
    assert matching_step(RFC_SECRET, code, step_start + timedelta(seconds=29)) is not None
    assert matching_step(RFC_SECRET, code, step_start + timedelta(seconds=30)) is None


def test_secrets_are_160_random_bits_in_base32() -> None:
    secrets = {new_totp_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20


def test_provisioning_uri_names_issuer_and_account_and_the_qr_code_is_svg() -> None:
    uri = provisioning_uri(RFC_SECRET, "alice@example.com", "Tokenward")
    assert uri.startswith("otpauth://totp/Tokenward:alice%40example.com?")
    assert f"secret={RFC_SECRET}" in uri
    assert "issuer=Tokenward" in uri
    svg = qr_code_svg(uri)
    assert svg.lstrip().startswith("<svg")
    assert RFC_SECRET not in svg

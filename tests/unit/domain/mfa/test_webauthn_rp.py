"""The relying party: which RP ids and origins fit together (checked when the settings are read), the origin
form browsers report, and the sign-counter rule."""

from __future__ import annotations

import pytest

from tokenward.domain.mfa.webauthn_rp import canonical_origin, counter_went_backwards, relying_party_problems


@pytest.mark.parametrize(
    ("rp_id", "origins"),
    [
        ("example.com", ["https://example.com"]),
        ("example.com", ["https://login.example.com", "https://example.com:8443"]),
        ("localhost", ["http://localhost:8000"]),
    ],
)
def test_origins_on_the_rp_id_or_its_subdomains_are_accepted(rp_id: str, origins: list[str]) -> None:
    assert relying_party_problems(rp_id, origins) == []


@pytest.mark.parametrize(
    ("rp_id", "origins", "problem"),
    [
        ("example.com", ["https://example.org"], "is not example.com or a subdomain"),
        ("example.com", ["https://notexample.com"], "is not example.com or a subdomain"),
        ("login.example.com", ["https://example.com"], "is not login.example.com or a subdomain"),
        ("example.com", ["https://example.com/login"], "without a path"),
        ("example.com", ["example.com"], "without a path"),
        ("example.com", [], "at least one"),
        ("Example.com", ["https://example.com"], "lower-case host name"),
    ],
)
def test_mismatched_settings_are_named(rp_id: str, origins: list[str], problem: str) -> None:
    assert any(problem in p for p in relying_party_problems(rp_id, origins))


def test_origins_take_the_form_browsers_report() -> None:
    assert canonical_origin("https://Example.com:443/") == "https://example.com"
    assert canonical_origin("http://localhost:8000") == "http://localhost:8000"


@pytest.mark.parametrize(
    ("stored", "received", "backwards"),
    [(0, 0, False), (0, 1, False), (5, 6, False), (5, 5, True), (5, 4, True), (5, 0, True)],
)
def test_a_counter_must_move_forward_unless_the_authenticator_keeps_none(
    stored: int, received: int, backwards: bool
) -> None:
    assert counter_went_backwards(stored, received) is backwards

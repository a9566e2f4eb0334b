"""E-mail addresses: one canonical form that never joins two mailboxes, and the rules for a new address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenward.domain.accounts.email_addresses import ascii_email, canonical_email, checked_email
from tokenward.errors import InvalidRequest


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada@example.com\t", "ada@example.com"),
        ("ａｄａ@ｅｘａｍｐｌｅ.com", "ada@example.com"),  # full-width forms (NFKC)
        ("ada@Bücher.DE", "ada@xn--bcher-kva.de"),
        ("ada@XN--BCHER-KVA.de", "ada@xn--bcher-kva.de"),
        ("ada@straße.de", "ada@xn--strae-oqa.de"),  # IDNA 2008 keeps ß in domains
        ("straße@example.de", "straße@example.de"),
        ("Straße@example.de", "Straße@example.de"),  # no case folding outside ASCII
    ],
)
def test_the_canonical_form(typed: str, canonical: str) -> None:
    assert canonical_email(typed) == canonical


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("straße@example.de", "strasse@example.de"),
        ("ada@straße.de", "ada@strasse.de"),
        ("Straße@example.de", "straße@example.de"),  # case outside ASCII is not ours to fold
    ],
)
def test_different_mailboxes_never_share_a_form(one: str, other: str) -> None:
    """``casefold`` turns ``ß`` into ``ss``: two real mailboxes that must stay two accounts."""
    assert canonical_email(one) != canonical_email(other)


@given(st.text(max_size=80))
def test_the_canonical_form_never_fails_and_is_stable(text: str) -> None:
    canonical = canonical_email(text)
    assert canonical_email(canonical) == canonical


@pytest.mark.parametrize(
    "address",
    ["Ada@Example.COM", "ada@bücher.de", "ada@почта.рф", "ada@例え.jp", "ada@ελληνικά.gr", "a+b@x.io"],
)
def test_new_addresses_are_kept_as_typed(address: str) -> None:
    assert checked_email(f" {address} ") == address


def test_a_new_address_is_nfkc_normalised() -> None:
    assert checked_email("ａｄａ@ｅｘａｍｐｌｅ.com") == "ada@example.com"


@pytest.mark.threat("T-ACC-09")
@pytest.mark.parametrize(
    ("address", "detail"),
    [
        (
            "\u0430da@example.com",  # Cyrillic а
            "email: the part before the @ contains letters from another script that look like ASCII letters",
        ),
        (
            "ale\u0441@example.com",  # Cyrillic с
            "email: the part before the @ contains letters from another script that look like ASCII letters",
        ),
        (
            "ada@ex\u0430mple.com",
            "email: the domain mixes letters of different scripts (Cyrillic and Latin) in one label",
        ),
        (
            "ada@xn--exmple-4nf.com",  # the same label, typed as its A-label
            "email: the domain mixes letters of different scripts (Cyrillic and Latin) in one label",
        ),
        (
            "ada@p\u03b1ypal.com",  # Greek alpha
            "email: the domain mixes letters of different scripts (Greek and Latin) in one label",
        ),
        (
            "ada@\u0441\u043e\u0441\u043e.com",  # all Cyrillic, reads "coco"
            "email: the domain is written in letters that look like ASCII letters but are not",
        ),
    ],
)
def test_look_alike_addresses_are_refused(address: str, detail: str) -> None:
    """Attack: register an address that looks exactly like someone else's, to be mistaken for them."""
    with pytest.raises(InvalidRequest) as refused:
        checked_email(address)
    assert refused.value.detail.startswith(detail)


@pytest.mark.parametrize(
    ("address", "detail"),
    [
        ("josé@example.com", "email: the part before the @ must use only ASCII letters"),
        ("ada@-bücher.de", "email: the domain is not a valid internationalised domain name"),
        ("ada@xn--abc.com", "email: the domain is not a valid internationalised domain name"),
        ("ada\u200b@example.com", "email: a valid e-mail address is required"),
        ("ada@example", "email: a valid e-mail address is required"),
        ("@example.com", "email: a valid e-mail address is required"),
        ("a" * 250 + "@example.com", "email: a valid e-mail address is required"),
    ],
)
def test_addresses_that_cannot_be_served_are_refused_saying_why(address: str, detail: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        checked_email(address)
    assert refused.value.detail.startswith(detail)


@pytest.mark.parametrize(
    ("address", "sent_to"),
    [
        ("Ada@Bücher.de", "Ada@xn--bcher-kva.de"),
        ("Ada@Example.COM", "Ada@Example.COM"),
        ("ada@-invalid-ü", "ada@-invalid-ü"),
    ],
)
def test_the_address_to_send_to_has_an_ascii_domain(address: str, sent_to: str) -> None:
    assert ascii_email(address) == sent_to

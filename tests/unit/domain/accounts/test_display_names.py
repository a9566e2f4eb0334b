"""Display names: visible text only; every character that hides, reorders or breaks text is refused."""

from __future__ import annotations

import pytest

from tokenward.domain.accounts.display_names import MAX_DISPLAY_NAME_LENGTH, checked_display_name
from tokenward.errors import InvalidRequest

REFUSED = {
    "NUL": "\x00",
    "escape sequence": "\x1b[31m",
    "new line": "\n",
    "tab": "\t",
    "DEL": "\x7f",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "pop directional formatting": "\u202c",
    "right-to-left isolate": "\u2067",
    "pop directional isolate": "\u2069",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "arabic letter mark": "\u061c",
    "zero width space": "\u200b",
    "zero width non-joiner": "\u200c",
    "zero width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "tag character": "\U000e0041",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "lone surrogate": "\ud800",
    "private use": "\ue000",
    "unassigned": "\U000e0080",
}


@pytest.mark.threat("T-ACC-09")
@pytest.mark.parametrize("char", REFUSED.values(), ids=REFUSED.keys())
def test_hidden_and_reordering_characters_are_refused(char: str) -> None:
    """Attack: a name that reads differently than it is (an override reversing ``gnp.exe``), breaks a log or an
    e-mail line, or looks exactly like another user's name."""
    with pytest.raises(InvalidRequest) as refused:
        checked_display_name(f"Ada{char}Lovelace")

    assert refused.value.detail.startswith("display_name: must not contain control, format or invisible")
    assert f"U+{ord(char[0]):04X}" in refused.value.detail


@pytest.mark.parametrize(
    "name",
    [
        "Ada Lovelace",
        "Zoë Ångström-Łukasiewicz",
        "李小龍",
        "مريم",
        "Αλέξανδρος",
        "O'Brien (she/her)",
        "Grace 🚀",
        "Wave 👋🏽",
        "Flag 🇫🇷",
        "a" * MAX_DISPLAY_NAME_LENGTH,
    ],
)
def test_ordinary_names_are_kept_as_given(name: str) -> None:
    assert checked_display_name(name) == name


def test_a_name_over_the_length_limit_is_refused() -> None:
    with pytest.raises(InvalidRequest, match=f"display_name: must be at most {MAX_DISPLAY_NAME_LENGTH}"):
        checked_display_name("a" * (MAX_DISPLAY_NAME_LENGTH + 1))

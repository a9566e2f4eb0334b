"""The refresh token's shape check in one regular expression decides exactly as the character loop it replaced.

``looks_like_refresh_token`` runs before any database work on every refresh; the loop over 43 characters was
a visible share of a refresh's CPU. The loop is kept here as the specification, and both are asked about
generated strings near the shape (right length and prefix, any characters, including non-ASCII letters and
digits, a trailing newline) and about real tokens.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenward.domain.sessions.refresh_tokens import (
    PREFIX,
    TOKEN_LENGTH,
    looks_like_refresh_token,
    new_refresh_token,
)


def _reference(token: str) -> bool:
    return (
        len(token) == TOKEN_LENGTH
        and token.startswith(PREFIX)
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in token[len(PREFIX) :])
    )


_ALPHABET = st.sampled_from("abcXYZ019-_+/=.\n \x00é٣ⅷ")
_BODIES = st.text(alphabet=_ALPHABET | st.characters(), min_size=41, max_size=45)


@settings(max_examples=2000)
@given(prefix=st.sampled_from([PREFIX, "twr", "TWR_", "", "twr_twr_"]), body=_BODIES)
def test_the_regular_expression_decides_as_the_loop(prefix: str, body: str) -> None:
    token = prefix + body
    assert looks_like_refresh_token(token) is _reference(token)


def test_real_tokens_pass_and_near_misses_do_not() -> None:
    for _ in range(200):
        token = new_refresh_token()
        assert looks_like_refresh_token(token)
        for spoiled in (token + "\n", token[:-1] + "é", token[:-1] + "٣", token[:-1] + "=", " " + token[1:]):
            assert looks_like_refresh_token(spoiled) is _reference(spoiled) is False

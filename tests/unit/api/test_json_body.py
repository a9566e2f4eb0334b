"""The one JSON decoder: what it refuses, and that its depth scan is not fooled by brackets inside strings."""

from __future__ import annotations

import pytest

from tokenward.api.json_body import MAX_DEPTH, decode_json_body, media_type, require_media_type
from tokenward.errors import InvalidRequest, UnsupportedMediaType


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = '{"a": "' + "[{" * 500 + '", "b": "\\"[[[[\\\\", "c": [[1]]}'
    assert decode_json_body(text.encode())["c"] == [[1]]


def test_an_escaped_quote_does_not_end_a_string_for_the_scan() -> None:
    """Attack: hide real nesting behind a string the scan would misread as closed."""
    hidden = '["\\"' + '", ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "]"
    with pytest.raises(InvalidRequest, match="deeper than"):
        decode_json_body(hidden.encode())


def test_nesting_up_to_the_limit_is_decoded() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert decode_json_body(at_limit.encode()) is not None
    with pytest.raises(InvalidRequest, match="deeper than"):
        decode_json_body(("[" + at_limit + "]").encode())


def test_numbers_within_bounds_keep_their_value() -> None:
    assert decode_json_body(b'{"i": -12345678901234567890, "f": 1.5e10}') == {
        "i": -12345678901234567890,
        "f": 1.5e10,
    }


def test_duplicate_keys_in_a_nested_object_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="same key"):
        decode_json_body(b'[{"k": 1}, {"k": 1, "k": 2}]')


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", "application/json"),
        (" Application/JSON ; charset=utf-8", "application/json"),
        ("", None),
    ],
)
def test_media_type_drops_parameters_and_case(header: str, expected: str | None) -> None:
    assert media_type(header) == expected


def test_a_missing_content_type_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        require_media_type(None, ("application/json",), method="PATCH")
    assert refused.value.headers() == {"Accept-Patch": "application/json"}
    assert (refused.value.status, refused.value.code) == (415, "unsupported_media_type")

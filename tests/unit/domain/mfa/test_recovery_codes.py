"""Recovery codes: ten distinct high-entropy codes, forgiving input, hashes bound to the user."""

from __future__ import annotations

import math

from tokenward.domain.mfa.recovery_codes import (
    ALPHABET,
    CODE_LENGTH,
    hash_recovery_code,
    new_recovery_codes,
    normalize_recovery_code,
)


def test_ten_distinct_codes_of_at_least_fifty_bits() -> None:
    codes = new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 50
    for code in codes:
        assert len(code) == 14
        assert code.count("-") == 2
        assert normalize_recovery_code(code) == code.replace("-", "")


def test_input_is_forgiving_about_case_spaces_and_dashes_only() -> None:
    code = new_recovery_codes(1)[0]
    compact = code.replace("-", "")
    assert normalize_recovery_code(f"  {code.upper()} ") == compact
    assert normalize_recovery_code(" ".join(compact[i : i + 4] for i in range(0, 12, 4))) == compact
    assert normalize_recovery_code(compact[:-1]) is None
    assert normalize_recovery_code(compact[:-1] + "0") is None  # not in the alphabet
    assert normalize_recovery_code("123456") is None


def test_hash_depends_on_the_user() -> None:
    assert hash_recovery_code("user-a", "abcdabcdabcd") != hash_recovery_code("user-b", "abcdabcdabcd")
    assert "abcdabcdabcd" not in hash_recovery_code("user-a", "abcdabcdabcd")

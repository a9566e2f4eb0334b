"""What a new password must satisfy, following NIST SP 800-63B §3.1.1.2 (memorized secrets).

The rules are deliberately the ones NIST asks for and no others: a minimum length, a generous maximum, no
composition rules (no "needs a digit, an upper-case letter and a symbol": they push users to predictable
patterns), a check against common passwords and against words from the user's own context, and refusing
trivially repetitive or sequential strings. Every Unicode character is allowed except control characters,
and the password is never truncated or stripped: what the user typed is what gets hashed.

Unicode is normalised with NFKC exactly once, in :func:`normalize_password`, and the same function is applied
before hashing and before verifying, so a password typed with composed or decomposed characters (or a
compatibility form such as the "ﬁ" ligature or a full-width digit) still matches on another device.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from tokenward.domain.accounts.passwords.blocklist import load_common_passwords
from tokenward.errors import PasswordRejected

#: NIST SP 800-63B: verifiers SHALL require at least 8 characters and SHOULD accept at least 64
NIST_MIN_LENGTH = 8
NIST_MAX_LENGTH_AT_LEAST = 64

#: context words shorter than this are ignored: "bob" or "mail" would otherwise reject too many passwords
MIN_CONTEXT_WORD_LENGTH = 4

REASON_EMPTY = "must not be empty"
REASON_COMMON = "is one of the most commonly used passwords"
REASON_CONTEXT = "must not contain your e-mail address or the service name"
REASON_TRIVIAL = "must not be a single repeated character or a simple sequence such as 12345678"
REASON_CONTROL = (
    "must not contain control characters such as tabs or line breaks, which cannot be typed the same way on "
    "every device"
)
REASON_SURROGATE = "must be valid Unicode text: it contains an unpaired surrogate code point"

# Orders in which people type "sequences" that are not runs of consecutive code points.
_SEQUENCES = ("01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop", "yxcvbnm")
_SEPARATORS = re.compile(r"[._+\-]")
# A password that is one short unit repeated ("abababab", "123123123") is as weak as a repeated character.
_MAX_REPEATED_UNIT = 3
# Below this a string is too short to be called a pattern (and the length rule rejects it anyway).
_MIN_PATTERN_LENGTH = 3


def too_short_reason(min_length: int) -> str:
    return f"must be at least {min_length} characters long"


def too_long_reason(max_length: int) -> str:
    return f"must be at most {max_length} characters long"


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """Length limits and the service name; everything else in the policy is fixed by NIST.

    ``max_length`` is not a security rule: NIST wants at least 64 characters accepted, and the cap of 1024
    exists only to bound the cost of hashing attacker-supplied input.
    """

    min_length: int = NIST_MIN_LENGTH
    max_length: int = 1024
    service_name: str = "Tokenward"

    def __post_init__(self) -> None:
        if self.min_length < NIST_MIN_LENGTH:
            raise ValueError(f"min_length must be at least {NIST_MIN_LENGTH} (NIST SP 800-63B)")
        if self.max_length < max(self.min_length, NIST_MAX_LENGTH_AT_LEAST):
            raise ValueError(
                f"max_length must be at least {NIST_MAX_LENGTH_AT_LEAST} (NIST SP 800-63B) "
                "and not below min_length"
            )


def normalize_password(password: str) -> str:
    """NFKC-normalise a password: the one place this happens, before both hashing and verifying.

    Nothing else is changed: no stripping, no case mapping, no truncation.
    """
    return unicodedata.normalize("NFKC", password)


def context_words_for(email: str, service_name: str) -> list[str]:
    """Words a password must not contain for this user: the e-mail and its pieces, and the service name.

    The e-mail, its local part, the local part split on ``. _ - +``, the domain's labels except the top-level
    one, and the service name; casefolded, deduplicated, pieces shorter than 4 characters left out.
    """
    folded = normalize_password(email).casefold().strip()
    local, _, domain = folded.rpartition("@") if "@" in folded else (folded, "", "")
    candidates = [folded, local, *_SEPARATORS.split(local), *domain.split(".")[:-1], service_name]
    words: list[str] = []
    for candidate in candidates:
        word = normalize_password(candidate).casefold()
        if len(word) >= MIN_CONTEXT_WORD_LENGTH and word not in words:
            words.append(word)
    return words


def _is_trivial(folded: str) -> bool:
    """A single repeated character, a short repeated unit, or a run such as ``abcdefgh`` / ``87654321``."""
    if len(folded) < _MIN_PATTERN_LENGTH:
        return False
    for unit in range(1, _MAX_REPEATED_UNIT + 1):
        repeated = folded[:unit] * (len(folded) // unit + 1)
        if len(folded) >= 2 * unit and folded == repeated[: len(folded)]:
            return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
    if steps in ({1}, {-1}):
        return True
    return any(folded in sequence or folded in sequence[::-1] for sequence in _SEQUENCES)


class PasswordChecker:
    """Applies a :class:`PasswordPolicy` to a candidate new password.

    ``blocklist`` defaults to the shipped common-password list; pass another (casefolded) set to extend or
    replace it. Only new passwords are checked: an existing password that was accepted under an older policy
    still signs in.
    """

    def __init__(self, policy: PasswordPolicy, blocklist: frozenset[str] | None = None) -> None:
        self.policy = policy
        self._blocklist = load_common_passwords() if blocklist is None else blocklist

    def problems(self, password: str, context_words: Iterable[str] = ()) -> list[str]:
        """Return one human-readable reason per broken rule; an empty list means the password is acceptable.

        Each reason completes the sentence "The password ...", so the API can show them as a list.
        """
        normalized = normalize_password(password)
        if not normalized:
            return [REASON_EMPTY]
        reasons: list[str] = []
        length = len(normalized)  # code points, after normalisation
        if length < self.policy.min_length:
            reasons.append(too_short_reason(self.policy.min_length))
        if length > self.policy.max_length:
            reasons.append(too_long_reason(self.policy.max_length))
        categories = {unicodedata.category(char) for char in normalized}
        if "Cc" in categories:
            reasons.append(REASON_CONTROL)
        if "Cs" in categories:
            reasons.append(REASON_SURROGATE)
        folded = normalized.casefold()
        if folded in self._blocklist:
            reasons.append(REASON_COMMON)
        if self._contains_context_word(folded, context_words):
            reasons.append(REASON_CONTEXT)
        if _is_trivial(folded):
            reasons.append(REASON_TRIVIAL)
        return reasons

    def check(self, password: str, context_words: Iterable[str] = ()) -> None:
        """Raise :class:`PasswordRejected` listing every broken rule; return if the password is acceptable."""
        reasons = self.problems(password, context_words)
        if reasons:
            raise PasswordRejected(reasons)

    def _contains_context_word(self, folded: str, context_words: Iterable[str]) -> bool:
        words = [*context_words, self.policy.service_name]
        for word in words:
            folded_word = normalize_password(word).casefold()
            if len(folded_word) >= MIN_CONTEXT_WORD_LENGTH and folded_word in folded:
                return True
        return False

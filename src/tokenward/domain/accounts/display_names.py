"""What a display name may contain: visible text, nothing that changes how the text around it is shown.

A display name is shown to other people and written into e-mails and logs, so it must not carry characters
that hide, reorder or break text: control characters (NUL, escape sequences, new lines), bidirectional
overrides and isolates (U+202A-U+202E, U+2066-U+2069, the marks U+200E, U+200F, U+061C), which make
``evil\\u202egnp.exe`` read as ``evilexe.png``, and zero-width or otherwise invisible format characters
(U+200B-U+200D, U+2060, U+FEFF), which make two different names look the same. All of these are in the
Unicode general categories Cc (control) and Cf (format), which are refused as a whole, together with line
and paragraph separators (Zl, Zp), lone surrogates (Cs, which JSON's ``\\ud800`` escapes can produce),
private-use (Co) and unassigned (Cn) code points.

The cost: emoji joined with U+200D ZERO WIDTH JOINER (for example a family or a profession emoji) and text
that needs ZWNJ (some Persian and Indic spellings) are refused too; their parts can be written on their own.
"""

from __future__ import annotations

import unicodedata

from tokenward.errors import InvalidRequest

MAX_DISPLAY_NAME_LENGTH = 200

#: general categories refused anywhere in a display name
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def checked_display_name(name: str) -> str:
    """Return ``name`` unchanged, or raise ``InvalidRequest`` naming the field and the first refused character."""
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidRequest(f"display_name: must be at most {MAX_DISPLAY_NAME_LENGTH} characters")
    for char in name:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            raise InvalidRequest(
                f"display_name: must not contain control, format or invisible characters "
                f"(found U+{ord(char):04X} {_describe(char)})"
            )
    return name


def _describe(char: str) -> str:
    return unicodedata.name(char, "").lower() or f"of category {unicodedata.category(char)}"

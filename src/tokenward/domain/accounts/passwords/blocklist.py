"""The shipped list of common passwords, loaded once from the package data.

NIST SP 800-63B asks verifiers to refuse passwords found in breach corpora, because attackers try those first.
The list lives in ``data/common-passwords.txt`` (source and licence in ``data/SOURCE.md``) and is read with
``importlib.resources`` so it works from a wheel, a zip or a source tree alike.
"""

from __future__ import annotations

import functools
from importlib import resources

#: the package-relative name of the list; one lower-case password per line
COMMON_PASSWORDS_FILE = "common-passwords.txt"
_PACKAGE = "tokenward.domain.accounts.passwords"


@functools.cache
def load_common_passwords() -> frozenset[str]:
    """Return the common-password list, casefolded, read from disk only on the first call.

    Casefolding here (the file is already lower-case) keeps the comparison in the policy a plain set lookup on
    ``password.casefold()`` whatever the list's origin.
    """
    data = resources.files(_PACKAGE).joinpath("data").joinpath(COMMON_PASSWORDS_FILE)
    text = data.read_text(encoding="utf-8")
    return frozenset(word.casefold() for word in text.splitlines() if word)

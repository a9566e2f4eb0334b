"""E-mail addresses: the one canonical form accounts are compared by, and the rules a new address must pass.

The canonical form (``canonical_email``) decides which addresses are one account. It must never map two
real mailboxes onto one, so it changes only what is the same mailbox everywhere:

- NFKC and surrounding space removed (full-width ``ａｄａ`` is ``ada``);
- the domain lower-cased and, when it is not ASCII, written as IDNA A-labels (UTS #46 mapping, IDNA 2008):
  ``Bücher.DE`` and ``xn--bcher-kva.de`` are one domain;
- an ASCII local part lower-cased: ``Ada@Example.COM`` is ``ada@example.com`` (RFC 5321 lets a server tell
  them apart, but none that takes sign-ups does, and treating them as two would let one mailbox own two
  accounts);
- a non-ASCII local part kept exactly as it is: ``straße`` and ``strasse`` are different mailboxes, so no
  Unicode case folding (``str.casefold`` turns ``ß`` into ``ss``).

The form is total (it never raises), so sign-in, password reset and the throttle counters can use any input.

A new address (sign-up, ``tokenward users create``) must also pass ``checked_email``, which keeps the address
as typed (after NFKC) for sending and refuses:

- a local part that is not ASCII. Mail to such an address needs SMTPUTF8 end to end, which neither the
  mailer nor most receiving servers offer; refusing at sign-up is clearer than mail that never arrives;
- a domain that is not a valid internationalised domain name;
- a domain label that mixes scripts (UTS #39 "highly restrictive": one script per label, or Latin with the
  Han-based combinations of Chinese, Japanese and Korean), such as ``exаmple.com`` with a Cyrillic ``а``;
- a non-ASCII domain every non-ASCII character of which looks like an ASCII one (UTS #39 confusables), such as
  an all-Cyrillic ``сосо.com``, which is read as ``coco.com``.

Script and confusable data come from the ``confusable_homoglyphs`` package (the Unicode Scripts and
confusables files, pure Python, no network). Its 10 MB of tables are loaded the first time a non-ASCII
domain is checked, not at start-up: ASCII addresses never need them.
"""

from __future__ import annotations

import unicodedata

import idna

from tokenward.errors import InvalidRequest

MAX_EMAIL_LENGTH = 254

#: UTS #39 §5.2 highly restrictive: besides a single script, these combinations are allowed in one label
_ALLOWED_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
#: characters of these scripts go with any other (digits, punctuation, combining marks)
_ANY_SCRIPT = frozenset({"COMMON", "INHERITED"})

_INVALID = "email: a valid e-mail address is required"
_NON_ASCII_LOCAL = (
    "email: the part before the @ must use only ASCII letters, digits and punctuation (mail to other "
    "characters cannot be delivered reliably)"
)
_LOOK_ALIKE_LOCAL = (
    "email: the part before the @ contains letters from another script that look like ASCII letters "
    "(for example a Cyrillic 'с'); type the address with ASCII letters"
)
_BAD_DOMAIN = "email: the domain is not a valid internationalised domain name"


def canonical_email(address: str) -> str:
    """The form accounts are looked up and kept unique by (see the module docstring); never raises."""
    text = unicodedata.normalize("NFKC", address).strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return text.lower() if text.isascii() else text
    if local.isascii():
        local = local.lower()
    return f"{local}@{_canonical_domain(domain)}"


def _canonical_domain(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    try:
        return _ascii_domain(domain)
    except idna.IDNAError:
        # not a valid domain, so no real mailbox: any stable form will do (checked_email refuses it)
        return domain.lower()


def _ascii_domain(domain: str) -> str:
    """IDNA 2008 A-labels after the UTS #46 mapping (which also lower-cases); raises ``idna.IDNAError``."""
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except UnicodeError as exc:  # a label too long or empty: the codec's own error
        raise idna.IDNAError(str(exc)) from exc


def ascii_email(address: str) -> str:
    """The address with its domain in A-labels, as an SMTP envelope and ``To:`` header need it without
    SMTPUTF8; the local part as it is. Unchanged when the domain is ASCII or not a valid domain."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{_ascii_domain(domain)}"
    except idna.IDNAError:
        return address


def checked_email(address: str) -> str:
    """Apply the rules for a new address; return it as typed (NFKC, without surrounding space), to send to."""
    text = unicodedata.normalize("NFKC", address).strip()
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(text) > MAX_EMAIL_LENGTH
        or any(char.isspace() or unicodedata.category(char)[0] == "C" for char in text)
    ):
        raise InvalidRequest(_INVALID)
    if not local.isascii():
        raise InvalidRequest(_LOOK_ALIKE_LOCAL if _imitates_ascii(local) else _NON_ASCII_LOCAL)
    if (
        not domain.isascii() or "xn--" in domain.lower()
    ):  # A-labels typed as such are checked as what they show
        _check_domain(domain)
    return text


def _check_domain(domain: str) -> None:
    try:
        labels = idna.decode(_ascii_domain(domain)).split(".")  # the mapped form: what is shown
    except idna.IDNAError:
        raise InvalidRequest(_BAD_DOMAIN) from None
    for label in labels:
        scripts = _scripts(label)
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_SCRIPT_SETS):
            names = " and ".join(sorted(name.title() for name in scripts))
            raise InvalidRequest(
                f"email: the domain mixes letters of different scripts ({names}) in one label, which can "
                "imitate another domain"
            )
    if _imitates_ascii(".".join(labels)):
        raise InvalidRequest(
            "email: the domain is written in letters that look like ASCII letters but are not, so it "
            "imitates another domain"
        )


def _scripts(label: str) -> set[str]:
    from confusable_homoglyphs import categories

    return {str(categories.alias(char)) for char in label} - _ANY_SCRIPT


def _imitates_ascii(text: str) -> bool:
    """Whether ``text`` is not ASCII but each of its non-ASCII characters has an ASCII look-alike."""
    from confusable_homoglyphs import confusables

    def looks_like_ascii(char: str) -> bool:
        found = confusables.is_confusable(char, greedy=True) or []
        return any(str(glyph["c"]).isascii() for entry in found for glyph in entry["homoglyphs"])

    foreign = {char for char in text if not char.isascii()}
    return bool(foreign) and all(looks_like_ascii(char) for char in foreign)

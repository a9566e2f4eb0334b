"""Phone numbers: parsed with the ``phonenumbers`` library and kept in E.164 (``+442079460958``).

A number without a country code is refused rather than guessed: a wrong guess would send codes (and costs) to
someone else's phone.
"""

from __future__ import annotations

import phonenumbers

from tokenward.errors import InvalidRequest

MAX_INPUT = 40


def to_e164(text: str) -> str:
    """The number in E.164, or ``InvalidRequest`` when it is not a possible, valid number."""
    if not isinstance(text, str) or len(text) > MAX_INPUT or not text.strip().startswith(("+", "00")):
        raise InvalidRequest("Give the phone number with its country code, e.g. +44 20 7946 0958")
    cleaned = "+" + text.strip().removeprefix("+").removeprefix("00")
    try:
        number = phonenumbers.parse(cleaned, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidRequest("That is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidRequest("That is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """What the account page and audit show: the country code and the last two digits."""
    return f"{e164[:3]}{'•' * max(len(e164) - 5, 0)}{e164[-2:]}"

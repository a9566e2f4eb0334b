"""Rate settings such as ``"5/minute;100/hour"``, in the ``limits`` library's syntax, checked when read."""

from __future__ import annotations

from typing import Annotated

from limits import parse_many
from pydantic import AfterValidator


def parse_rates(text: str) -> list[tuple[int, int]]:
    """``"5/minute;100/hour"`` -> ``[(5, 60), (100, 3600)]`` using the ``limits`` library's syntax."""
    try:
        items = parse_many(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a rate such as '5/minute;100/hour'") from exc
    return [(item.amount, item.get_expiry()) for item in items]


def _valid_rates(text: str) -> str:
    parse_rates(text)
    return text


#: a setting holding rates such as ``"5/minute;100/hour"``, checked when the settings are read
Rates = Annotated[str, AfterValidator(_valid_rates)]

"""What every fake shares."""

from __future__ import annotations


class DuplicateKey(Exception):
    """What the fakes raise where a database would refuse a duplicate primary or unique key."""

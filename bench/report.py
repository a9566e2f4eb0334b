"""Markdown helpers for RESULTS.md: every figure sits in a table beside the command that produced it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def rate(value: float) -> str:
    return f"{value:,.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def errors_cell(load: dict[str, Any]) -> str:
    """``errors / requests`` of a load-generator result, and what the errors were (HTTP status or exception)."""
    total = f"{load['error_count']} / {load['completed'] + load['error_count']}"
    kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(load["errors"].items()))
    return f"{total} ({kinds})" if kinds else total


@dataclass
class Section:
    """One benchmark's part of RESULTS.md."""

    title: str
    command: str
    body: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.body.append(text)

    def markdown(self) -> str:
        return "\n\n".join([f"## {self.title}", f"Command: `{self.command}`", *self.body])

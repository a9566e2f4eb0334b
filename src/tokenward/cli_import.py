"""``tokenward users import FILE``: accounts with their password hashes from another system.

The file is JSON lines (one object a line) or CSV with a header row; the fields are ``email``, ``hash`` and,
optionally, ``display_name`` and ``email_verified``. ``.csv`` files are read as CSV, ``.jsonl``, ``.ndjson`` and
``.json`` as JSON lines, anything else by its first character (``{``: JSON lines). What is accepted and why is
in ``domain.accounts.importing``.

Standard output gets one JSON line per line that was not imported (``{"line", "status", "reason"}``, status
``refused`` or ``skipped``) and a last line with the counts; a hash is never printed or logged. On a terminal,
standard error shows the progress. Exit status 0 when no line was refused, 1 otherwise (what was accepted is
imported either way), 2 when the file cannot be read at all.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tokenward.domain.accounts.importing import ImportRecord, UserImport
from tokenward.domain.context import RequestContext

if TYPE_CHECKING:
    from tokenward.bootstrap import Container

Action = Callable[["Container"], Awaitable[int]]
WithContainer = Callable[[Action], int]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_UNREADABLE = 2
_JSON_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
_REQUIRED_COLUMNS = ("email", "hash")


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (missing, not UTF-8, a CSV without the required columns)."""


def register(users: Any, with_container: WithContainer) -> None:
    command = users.add_parser(
        "import",
        help="import accounts with password hashes (JSON lines or CSV: email, hash, display_name, "
        "email_verified); existing addresses are skipped",
    )
    command.add_argument("file", type=Path)
    command.add_argument("--format", choices=("jsonl", "csv"), help="instead of guessing from the file")
    command.set_defaults(func=lambda args: _run(args, with_container))


def _run(args: argparse.Namespace, with_container: WithContainer) -> int:
    if not args.file.is_file():
        print(f"tokenward users import: {args.file} is not a readable file", file=sys.stderr)
        return EXIT_UNREADABLE

    async def action(container: Container) -> int:
        importer = UserImport(container.users, container.audit, container.clock)
        progress = Progress.for_terminal(args.file, sys.stderr)
        try:
            with args.file.open(encoding="utf-8-sig", newline="") as handle:
                records = read_records(handle, args.format or guess_format(args.file))
                report = await importer.run(records, RequestContext.internal(), progress)
        except (UnreadableFile, UnicodeDecodeError) as problem:
            progress.done()
            print(f"tokenward users import: {problem}", file=sys.stderr)
            return EXIT_UNREADABLE
        progress.done()
        for outcome in report.outcomes:
            print(json.dumps({"line": outcome.line, "status": outcome.status, "reason": outcome.reason}))
        print(json.dumps(report.summary()))
        return EXIT_REFUSED if report.refused else EXIT_OK

    return with_container(action)


def guess_format(path: Path) -> str:
    if path.suffix.lower() == ".csv":
        return "csv"
    if path.suffix.lower() in _JSON_SUFFIXES:
        return "jsonl"
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        first = next((line.lstrip() for line in handle if line.strip()), "")
    return "jsonl" if first.startswith("{") else "csv"


def read_records(handle: IO[str], file_format: str) -> Iterator[ImportRecord]:
    return _json_lines(handle) if file_format == "jsonl" else _csv_rows(handle)


def _json_lines(handle: IO[str]) -> Iterator[ImportRecord]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError:
            yield ImportRecord(number, unreadable="not valid JSON")
            continue
        if isinstance(value, dict):
            yield ImportRecord(number, value)
        else:
            yield ImportRecord(number, unreadable="not a JSON object")


def _csv_rows(handle: IO[str]) -> Iterator[ImportRecord]:
    reader = csv.DictReader(handle)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in _REQUIRED_COLUMNS if name not in header]
    if missing:
        raise UnreadableFile(f"the CSV header has no {' or '.join(missing)} column")
    reader.fieldnames = header
    for row in reader:
        if None in row:
            yield ImportRecord(reader.line_num, unreadable="more values than the header has columns")
        elif any(value is None for value in row.values()):
            yield ImportRecord(reader.line_num, unreadable="fewer values than the header has columns")
        else:
            yield ImportRecord(reader.line_num, {k: v for k, v in row.items() if v != "" or k == "email"})


class Progress:
    """``line N of M (P%)`` on standard error, rewritten in place; silent when it is not a terminal."""

    def __init__(self, stream: IO[str] | None, total_lines: int) -> None:
        self._stream = stream
        self._total = max(total_lines, 1)
        self._shown = False

    @classmethod
    def for_terminal(cls, path: Path, stream: IO[str]) -> Progress:
        if not stream.isatty():
            return cls(None, 0)
        with path.open("rb") as handle:
            return cls(stream, sum(1 for _ in handle))

    def __call__(self, line: int) -> None:
        if self._stream is None:
            return
        percent = min(100, line * 100 // self._total)
        self._stream.write(f"\rimporting: line {line:,} of {self._total:,} ({percent}%)")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._stream is not None and self._shown:
            self._stream.write("\n")
            self._stream.flush()

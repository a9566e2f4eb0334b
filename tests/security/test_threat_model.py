"""The threat model, the tests and the documentation agree, in ways a careless or hurried change cannot fake.

Threat ids live in the first column of the table in docs/security/threat-model.md; tests name them with
``@pytest.mark.threat("T-…")``. The collection is read through pytest itself (``--collect-only`` in a
subprocess), so parametrized marks count too. The checks:

- every documented threat has a marked test, and every marker names a documented threat;
- the files a row lists are exactly the files holding tests marked with its id (no row points at a file that
  proves nothing about it, and no proof hides in a file the row does not name);
- every marked test asserts something (read from its source: an ``assert``, ``pytest.raises``, or a call to a
  helper whose name says it asserts), so emptying a threat's only test to ``pass`` fails here;
- every threat the product brief names has a row tagged ``[brief: …]`` with its name;
- the README's settings table names exactly the fields of ``Settings``;
- every ``tokenward …`` command the README and docs/ show exists in the CLI parser.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tokenward.cli import build_parser
from tokenward.config import Settings

ROOT = Path(__file__).resolve().parents[2]
THREAT_MODEL = ROOT / "docs" / "security" / "threat-model.md"
README = ROOT / "README.md"
_ROW = re.compile(r"^\|\s*(T-[A-Z]+-\d{2})\s*\|")
_BRIEF_TAG = re.compile(r"\[brief:\s*([^\]]+)\]")

#: the threats the product brief names; each needs a row tagged ``[brief: <name>]``
BRIEF_THREATS = (
    "brute force",
    "credential stuffing",
    "session hijacking",
    "man in the middle",
    "token tampering",
    "token theft",
    "algorithm confusion",
    "key confusion",
    "SQL injection",
    "XSS",
    "CSRF",
    "timing attacks",
)
#: a call to one of these, or to a helper whose name starts with one of the prefixes, asserts
ASSERTING_CALLS = frozenset({"raises", "fail"})
ASSERTING_PREFIXES = ("assert", "expect_")

COLLECTOR = r"""
import json, sys
import pytest

class Collector:
    def __init__(self):
        self.items = []
    def pytest_collection_modifyitems(self, items):
        for item in items:
            threats = sorted({t for mark in item.iter_markers("threat") for t in mark.args})
            if threats:
                cls = getattr(item, "cls", None)
                self.items.append({
                    "nodeid": item.nodeid,
                    "path": item.location[0],
                    "function": getattr(item, "originalname", item.name),
                    "cls": cls.__name__ if cls is not None else None,
                    "threats": threats,
                })

collector = Collector()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"], plugins=[collector])
print("THREATS=" + json.dumps(collector.items))
sys.exit(0 if code in (0, 5) else code)
"""


@dataclass(frozen=True, slots=True)
class Row:
    threat: str
    cells: tuple[str, ...]

    @property
    def files(self) -> set[str]:
        """The test files the row's last column lists."""
        return set(re.findall(r"`(tests/[^`:]+)", self.cells[-1]))

    @property
    def brief(self) -> set[str]:
        return {name.strip() for tag in _BRIEF_TAG.findall(" | ".join(self.cells)) for name in tag.split(",")}


@dataclass(frozen=True, slots=True)
class MarkedTest:
    nodeid: str
    path: str
    function: str
    cls: str | None
    threats: tuple[str, ...]


def rows(text: str | None = None) -> list[Row]:
    text = THREAT_MODEL.read_text() if text is None else text
    found = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
            found.append(Row(match.group(1), cells))
    return found


def documented_threats() -> set[str]:
    return {row.threat for row in rows()}


@pytest.fixture(scope="module")
def marked_tests() -> list[MarkedTest]:
    result = subprocess.run(
        [sys.executable, "-c", COLLECTOR], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("THREATS="))
    return [
        MarkedTest(item["nodeid"], item["path"], item["function"], item["cls"], tuple(item["threats"]))
        for item in json.loads(line.removeprefix("THREATS="))
    ]


def by_threat(tests: list[MarkedTest]) -> dict[str, list[MarkedTest]]:
    found: dict[str, list[MarkedTest]] = {}
    for test in tests:
        for threat in test.threats:
            found.setdefault(threat, []).append(test)
    return found


# ------------------------------------------------------------------------------------------ assertions


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _asserting_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = _call_name(node.func)
    return name in ASSERTING_CALLS or name.startswith(ASSERTING_PREFIXES)


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """Every node of the function's body, leaving out nested functions and classes (they may never run)."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                pending.append(child)


def asserts_something(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An ``assert``, ``pytest.raises``/``pytest.fail``, or a call to ``assert_…``/``expect_…`` in the body."""
    return any(isinstance(node, ast.Assert) or _asserting_call(node) for node in _own_nodes(function))


@cache
def _module(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(), filename=path)


def function_of(test: MarkedTest) -> ast.FunctionDef | ast.AsyncFunctionDef:
    scope: list[ast.stmt] = _module(test.path).body
    if test.cls is not None:
        classes = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == test.cls]
        assert classes, f"{test.nodeid}: class {test.cls} not found in {test.path}"
        scope = classes[0].body
    functions = [
        n for n in scope if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == test.function
    ]
    assert functions, f"{test.nodeid}: function {test.function} not found in {test.path}"
    return functions[-1]


# ----------------------------------------------------------------------------------------------- threats


def test_the_threat_model_lists_threats() -> None:
    assert len(documented_threats()) >= 30


def test_every_threat_id_has_one_row() -> None:
    ids = [row.threat for row in rows()]
    assert sorted(ids) == sorted(set(ids))


def test_every_documented_threat_has_a_test(marked_tests: list[MarkedTest]) -> None:
    missing = sorted(documented_threats() - set(by_threat(marked_tests)))
    assert missing == [], f"threats without a test: {missing}"


def test_every_marker_names_a_documented_threat(marked_tests: list[MarkedTest]) -> None:
    unknown = sorted(set(by_threat(marked_tests)) - documented_threats())
    assert unknown == [], f"markers naming unknown threats: {unknown}"


def test_every_marked_test_asserts_something(marked_tests: list[MarkedTest]) -> None:
    """A test with no assertion proves nothing, whatever its marker says (``pass``, a bare call ...)."""
    empty = sorted(
        {test.nodeid.split("[")[0] for test in marked_tests if not asserts_something(function_of(test))}
    )
    assert empty == [], f"marked tests that assert nothing: {empty}"


def test_every_row_lists_exactly_the_files_holding_its_tests(marked_tests: list[MarkedTest]) -> None:
    """The table's last column names each file with a test marked for the row's threat, and no other file."""
    marked_files: dict[str, set[str]] = {}
    for threat, tests in by_threat(marked_tests).items():
        marked_files[threat] = {test.path for test in tests}
    disagreements = []
    for row in rows():
        assert row.files, f"{row.threat} has no tests listed in the table"
        for path in sorted(row.files):
            assert (ROOT / path).exists(), f"{row.threat} lists missing file {path}"
        unmarked = sorted(row.files - marked_files.get(row.threat, set()))
        unlisted = sorted(marked_files.get(row.threat, set()) - row.files)
        if unmarked:
            disagreements.append(f"{row.threat}: listed, but no test there is marked for it: {unmarked}")
        if unlisted:
            disagreements.append(f"{row.threat}: tests marked for it, but the row does not list: {unlisted}")
    assert disagreements == []


def test_every_threat_the_brief_names_has_a_row() -> None:
    tagged: dict[str, list[str]] = {}
    for row in rows():
        for name in row.brief:
            tagged.setdefault(name, []).append(row.threat)
    unknown = sorted(set(tagged) - set(BRIEF_THREATS))
    assert unknown == [], f"[brief: …] tags naming no threat of the brief: {unknown}"
    missing = [name for name in BRIEF_THREATS if name not in tagged]
    assert missing == [], f"threats of the brief without a row: {missing}"


# ------------------------------------------------------------------------------------ settings, commands


def readme_settings(text: str | None = None) -> set[str]:
    """The variables the first column of README's settings table names.

    A cell may name several, the later ones by the part that differs: `` `TOKENWARD_SMTP_PORT`, `_USERNAME` ``
    is ``TOKENWARD_SMTP_PORT`` and ``TOKENWARD_SMTP_USERNAME`` (the suffix replaces the first name's last word).
    """
    text = README.read_text() if text is None else text
    names: set[str] = set()
    for line in text.splitlines():
        if not line.startswith("| `TOKENWARD_"):
            continue
        first = line.strip("|").split("|")[0]
        base = ""
        for name in re.findall(r"`([A-Z0-9_]+)`", first):
            if name.startswith("TOKENWARD_"):
                base = name
                names.add(name)
            elif name.startswith("_") and base:
                names.add(base.rsplit("_", name.count("_"))[0] + name)
    return names


def settings_variables() -> set[str]:
    return {f"TOKENWARD_{name.upper()}" for name in Settings.model_fields}


def test_the_readme_settings_table_names_every_setting_and_no_other() -> None:
    documented = readme_settings()
    assert sorted(settings_variables() - documented) == [], "settings missing from the README table"
    assert sorted(documented - settings_variables()) == [], (
        "the README table names settings that do not exist"
    )


def command_tree(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


#: ``tokenward`` followed by words, except where it names something else (the Redis ACL user ``tokenward``)
_COMMAND = re.compile(r"(?<![\w.-])(?<!SETUSER )tokenward((?: [a-z][a-z-]*)+)")
#: fenced code blocks (their info string and body) and inline code spans
_FENCED = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)
_INLINE = re.compile(r"`([^`\n]+)`")


def code_in(markdown: str) -> list[str]:
    """The code a Markdown text shows: fenced blocks (diagrams left out) and inline spans outside them."""
    blocks = [body for info, body in _FENCED.findall(markdown) if info.strip() != "mermaid"]
    return blocks + _INLINE.findall(_FENCED.sub("", markdown))


def documented_commands() -> list[tuple[str, str]]:
    """``(file, "tokenward keys rotate")`` for every command the README and docs/ show as code."""
    found = []
    for path in [README, *sorted((ROOT / "docs").rglob("*.md"))]:
        for code in code_in(path.read_text()):
            for match in _COMMAND.finditer(code):
                found.append((str(path.relative_to(ROOT)), "tokenward" + match.group(1)))
    return found


def unknown_command(words: list[str]) -> str | None:
    """The first word that is not a command where the parser expects one, or ``None``."""
    choices = command_tree(build_parser())
    for word in words:
        if not choices:
            return None  # a leaf command: what follows are its arguments
        if word not in choices:
            return word
        choices = command_tree(choices[word])
    return None


def test_every_command_in_the_docs_exists() -> None:
    commands = documented_commands()
    assert len(commands) > 20
    wrong = [
        f"{path}: {command}" for path, command in commands if unknown_command(command.split()[1:]) is not None
    ]
    assert wrong == []

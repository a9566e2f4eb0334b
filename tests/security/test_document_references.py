"""The security documents name tests that exist: a renamed or deleted test fails here, not in an audit.

docs/security/attack-scenarios.md and compliance.md point at tests as ``tests/…py::test_name`` (or at a whole
file); each reference must name a file that exists and a test function defined in it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("attack-scenarios.md", "compliance.md", "checklists.md")
_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?")


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_test_a_security_document_names_exists(document: str) -> None:
    text = (ROOT / "docs" / "security" / document).read_text(encoding="utf-8")
    references = _REFERENCE.findall(text)
    assert references, f"{document} names no test"
    for path, name in references:
        assert (ROOT / path).is_file(), f"{document} names a missing file {path}"
        if name:
            assert name in _functions(ROOT / path), f"{document} names a missing test {path}::{name}"

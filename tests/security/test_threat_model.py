"""The threat model and the tests agree: every documented threat has a test, every marker a threat.

Threat ids live in the first column of the table in docs/security/threat-model.md; tests name them with
``@pytest.mark.threat("T-…")``. The collection is read through pytest itself (``--collect-only`` in a
subprocess), so parametrized marks count too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THREAT_MODEL = ROOT / "docs" / "security" / "threat-model.md"
_ROW = re.compile(r"^\|\s*(T-[A-Z]+-\d{2})\s*\|")

COLLECTOR = r"""
import json, sys
import pytest

class Collector:
    def __init__(self):
        self.ids = {}
    def pytest_collection_modifyitems(self, items):
        for item in items:
            for mark in item.iter_markers("threat"):
                for threat in mark.args:
                    self.ids.setdefault(threat, []).append(item.nodeid)

collector = Collector()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"], plugins=[collector])
print("THREATS=" + json.dumps(collector.ids))
sys.exit(0 if code in (0, 5) else code)
"""


def documented_threats() -> set[str]:
    return {m.group(1) for line in THREAT_MODEL.read_text().splitlines() if (m := _ROW.match(line))}


@pytest.fixture(scope="module")
def marked_threats() -> dict[str, list[str]]:
    import json

    result = subprocess.run(
        [sys.executable, "-c", COLLECTOR], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("THREATS="))
    found: dict[str, list[str]] = json.loads(line.removeprefix("THREATS="))
    return found


def test_the_threat_model_lists_threats() -> None:
    assert len(documented_threats()) >= 30


def test_every_documented_threat_has_a_test(marked_threats: dict[str, list[str]]) -> None:
    missing = sorted(documented_threats() - set(marked_threats))
    assert missing == [], f"threats without a test: {missing}"


def test_every_marker_names_a_documented_threat(marked_threats: dict[str, list[str]]) -> None:
    unknown = sorted(set(marked_threats) - documented_threats())
    assert unknown == [], f"markers naming unknown threats: {unknown}"


def test_every_threat_row_names_its_tests(marked_threats: dict[str, list[str]]) -> None:
    """The table's last column lists test ids, and each listed test file exists."""
    for line in THREAT_MODEL.read_text().splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert cells[-1], f"{match.group(1)} has no tests listed in the table"
        for path in re.findall(r"`(tests/[^`:]+)", cells[-1]):
            assert (ROOT / path).exists(), f"{match.group(1)} lists missing file {path}"

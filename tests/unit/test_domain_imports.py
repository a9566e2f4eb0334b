"""Every domain module can be the first one imported.

The domain packages use each other (sessions and e-mail need ``accounts.users``, the account service needs
sessions, e-mail and MFA), and a package's ``__init__.py`` runs before any of its modules. A re-export there
that reaches back into a package still being loaded fails only when that package happens to be imported first,
which the rest of the suite, importing in one fixed order, would never notice.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tokenward.domain

DOMAIN = Path(tokenward.domain.__file__).parent

#: run in a fresh interpreter: forgets every loaded ``tokenward`` module, then imports one module first
_IMPORT_EACH_FIRST = """
import importlib, sys
failures = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "tokenward" or m.startswith("tokenward.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failures.append(f"{name}: {exc}")
print("\\n".join(failures))
"""


def _domain_modules() -> list[str]:
    names = []
    for path in sorted(DOMAIN.rglob("*.py")):
        parts = path.relative_to(DOMAIN.parent.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_module_list_covers_the_domain() -> None:
    modules = _domain_modules()
    assert "tokenward.domain.keys.rotation" in modules
    assert "tokenward.domain.sessions" in modules
    assert len(modules) > 40


def test_every_domain_module_imports_first_without_a_cycle() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_FIRST, *_domain_modules()],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""

"""docs/architecture.md's module map: every module it names exists, and every package of server/ and resolvers/ is
on it; no test module and no conftest module is imported by another module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.docs.examples import ROOT

MAP = (ROOT / "docs" / "architecture.md").read_text()
NAMED = re.compile(r"`((?:server|resolvers|bench)/[\w/.]*)`")


def test_every_named_module_exists() -> None:
    named = NAMED.findall(MAP)
    assert named
    assert [p for p in named if not (ROOT / p).exists() and not (ROOT / f"{p}.py").exists()] == []


def test_every_package_is_on_the_map() -> None:
    named = {p.rstrip("/") for p in NAMED.findall(MAP)}
    packages = [
        init.parent.relative_to(ROOT).as_posix()
        for root in ("server", "resolvers")
        for init in sorted((ROOT / root).glob("*/__init__.py"))
    ]
    assert [p for p in packages if p not in named] == []


def _imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or (module.startswith("tests.") and last.startswith("test_"))


def test_no_test_module_is_imported_as_a_library() -> None:
    """Helpers that several test modules share live in helper modules (tests/utils, tests/<package>/<helper>.py):
    importing a test module runs its collection-time code and makes its tests run twice; a conftest is pytest's to
    load (a fixture several packages use lives in a helper module, imported where it is used)."""
    imports = [
        f"{path.relative_to(ROOT).as_posix()} imports {module}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for module in _imported_modules(path)
        if _is_test_or_conftest(module)
    ]
    assert imports == []

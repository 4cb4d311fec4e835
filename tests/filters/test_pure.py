"""The filter package does no I/O: no coroutine and no connection anywhere in server/filters (the names a filter
refers to are looked up by server.query.names; which packages it may import, the import-linter contracts say)."""

from __future__ import annotations

import ast
from pathlib import Path

import server.filters

FILTERS = Path(server.filters.__file__).parent


def _io(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.AsyncFunctionDef | ast.Await):
            found.append(f"{path.name}:{node.lineno}: {type(node).__name__}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy.ext.asyncio"):
            found.append(f"{path.name}:{node.lineno}: imports {node.module}")
    return found


def test_no_coroutine_and_no_connection_in_filters() -> None:
    modules = sorted(FILTERS.rglob("*.py"))
    assert len(modules) > 5
    assert [line for path in modules for line in _io(path)] == []

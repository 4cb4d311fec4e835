"""Node command-line tools and packages the tests use (relay-compiler, tsc, graphql-ws), installed from the npm
registry once into .node-tools/ (ignored by git) with the system's npm; a test skips, saying why, when no npm is
installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".node-tools"


def node_tool(package: str, version: str, binary: str) -> Path:
    """The path of `binary` from `package@version`, installed when missing."""
    path = TOOLS / "node_modules" / ".bin" / binary
    if not path.exists():
        _install([f"{package}@{version}"])
    return path


def node_packages(*specs: str) -> Path:
    """.node-tools/node_modules, with each `package@version` of `specs` installed when missing."""
    modules = TOOLS / "node_modules"
    missing = [spec for spec in specs if not (modules / spec.rsplit("@", 1)[0] / "package.json").exists()]
    if missing:
        _install(missing)
    return modules


def _install(specs: list[str]) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"{', '.join(specs)} need npm (apt-get install nodejs npm)")
    TOOLS.mkdir(exist_ok=True)
    command = [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(TOOLS), *specs]
    subprocess.run(command, check=True, timeout=600)

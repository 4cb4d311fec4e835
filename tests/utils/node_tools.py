"""Node command-line tools the tests run (relay-compiler), installed from the npm registry once into .node-tools/
(ignored by git) with the system's npm; a test skips, saying why, when no npm is installed."""

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
    if path.exists():
        return path
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"{package} needs npm (apt-get install nodejs npm)")
    TOOLS.mkdir(exist_ok=True)
    command = [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(TOOLS), f"{package}@{version}"]
    subprocess.run(command, check=True, timeout=600)
    return path

"""The TypeScript example of docs/web-app.md as a front end would use it: compiled by tsc in strict mode against
graphql-ws's own types, then run by node against a real server over the demo catalog. It exports three labeled
images, follows the task over the subscription to COMPLETE, and the link it returns downloads those three rows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import orjson
import pytest

from server.settings import Settings
from tests.utils.live import live_server
from tests.utils.node_tools import node_packages, node_tool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = re.search(r"```typescript\n(.*?)```", (ROOT / "docs" / "web-app.md").read_text(), re.S).group(1)  # type: ignore[union-attr]
SERVER, KEY = 'const API = "http://127.0.0.1:8000";', 'const KEY = "ce_...";'
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "target": "es2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "lib": ["es2022", "dom"],  # what a browser has: fetch, console
        "types": [],
        "outDir": "out",
    },
    "files": ["example.ts"],
}
# Node 20 has no WebSocket of its own (a browser has); graphql-ws takes the global one, so `ws` stands in for it.
RUN = """import WebSocket from "ws";
globalThis.WebSocket = WebSocket;
const { exportLabeledImages } = await import("./out/example.js");
console.log("link " + (await exportLabeledImages()));
"""
LABELED = "query($f: DataRowFilter) { dataRows(filter: $f, first: 3) { nodes { id } } }"


def project(tmp_path: Path, api: str, key: str) -> Path:
    """A folder holding the example (with the server's address and a key), its tsconfig and its runner."""
    assert SERVER in EXAMPLE and KEY in EXAMPLE
    source = EXAMPLE.replace(SERVER, f'const API = "{api}";').replace(KEY, f'const KEY = "{key}";')
    (tmp_path / "example.ts").write_text(source)
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "run.mjs").write_text(RUN)
    (tmp_path / "node_modules").symlink_to(node_packages("graphql-ws@6", "ws@8"))
    return tmp_path


def test_the_typescript_example_compiles_and_runs(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("the example needs node (apt-get install nodejs npm)")
    tsc = node_tool("typescript", "5", "tsc")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", export_dir=tmp_path / "exports")
    with live_server(settings, rows=200) as live:
        (tmp_path / "front-end").mkdir()
        folder = project(tmp_path / "front-end", live.url, live.key)
        compiled = subprocess.run([str(tsc), "-p", "."], cwd=folder, capture_output=True, text=True, timeout=300)
        assert compiled.returncode == 0, compiled.stdout + compiled.stderr
        ran = subprocess.run(["node", "run.mjs"], cwd=folder, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        *updates, link = ran.stdout.splitlines()
        statuses = [line.split()[0] for line in updates]
        assert statuses[-1] == "COMPLETE" and set(statuses) <= {"QUEUED", "IN_PROGRESS", "COMPLETE"}, updates
        assert updates[-1].split()[1] == "3" and link.startswith("link ")
        download = httpx.get(httpx.URL(live.url).join(link.removeprefix("link ")))
        assert download.status_code == 200
        headers = {"Authorization": f"Bearer {live.key}"}
        tree = {"mediaTypes": ["IMAGE"], "project": {"labeled": True}}
        body = {"query": LABELED, "variables": {"f": tree}}
        first = httpx.post(f"{live.url}/graphql", json=body, headers=headers).json()["data"]["dataRows"]["nodes"]
        lines = [orjson.loads(line) for line in download.content.splitlines()]
        assert sorted(line["data_row"]["id"] for line in lines) == sorted(row["id"] for row in first)
        assert all(line["projects"] for line in lines)  # each with the labels of the projects it is labeled in

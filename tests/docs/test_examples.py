"""Every example of README.md and docs/*.md runs against the demo catalog and returns what its text says."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse

from tests.docs.examples import Example, cli_lines, examples
from tests.faults.processes import CLI, cli_env
from tests.utils.dev_server import DevServer

DOCUMENTED_SERVER = "http://127.0.0.1:8000"
NOT_RUN = ("serve", "worker")  # they serve until stopped; the server under test is one
TASK = "query($id: ID!) { exportTask(id: $id) { status rowCount failureReason } }"


def _ids(found: list[Example]) -> list[str]:
    return [e.name for e in found]


def _post(server: DevServer, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.key}"}
    return httpx.post(server.url + "/graphql", json=body, headers=headers, timeout=60).json()  # type: ignore[no-any-return]


def _connections(value: object, path: str = "data") -> list[tuple[str, object]]:
    """(path, value) of every `nodes` list and `totalCount` in an answer."""
    if isinstance(value, dict):
        found = [(f"{path}.{k}", v) for k, v in value.items() if k in ("nodes", "totalCount")]
        return found + [hit for k, v in value.items() for hit in _connections(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [hit for n, v in enumerate(value) for hit in _connections(v, f"{path}.{n}")]
    return []


def _finished(server: DevServer, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        task = _post(server, {"query": TASK, "variables": {"id": task_id}})["data"]["exportTask"]
        if task["status"] not in ("QUEUED", "IN_PROGRESS"):
            return task  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"export {task_id} did not finish in 60 s")


def _operations(text: str) -> list[str | None]:
    return [d.name.value if d.name else None for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]


@pytest.mark.parametrize("example", examples("graphql"), ids=_ids(examples("graphql")))
def test_graphql_example(docs_server: DevServer, example: Example) -> None:
    for name in _operations(example.text):
        answer = _post(docs_server, {"query": example.text, "operationName": name})
        if example.expected_code:
            assert [e["extensions"]["code"] for e in answer.get("errors", [])] == [example.expected_code], answer
            continue
        assert "errors" not in answer, answer
        for path, value in _connections(answer["data"]):
            assert value, f"{example.name} ({name}): {path} is empty"
        export = (answer["data"] or {}).get("exportDataRows")
        if export is not None:
            task = _finished(docs_server, export["id"])
            assert task["status"] == "COMPLETE" and task["rowCount"] > 0, task


@pytest.mark.parametrize("example", examples("sh"), ids=_ids(examples("sh")))
def test_cli_example(docs_server: DevServer, example: Example, tmp_path: Path) -> None:
    env = cli_env(docs_server.settings, CATALOG_EXPORT_API_KEY=docs_server.key)
    for line in cli_lines(example):
        words = shlex.split(os.path.expandvars(line.replace(DOCUMENTED_SERVER, docs_server.url)))
        if words[1] in NOT_RUN:
            continue
        done = subprocess.run([*CLI, *words[1:]], env=env, cwd=tmp_path, capture_output=True, timeout=300)
        assert done.returncode == 0, f"{example.name}: {line}\n{done.stderr.decode()}"
        if words[1] == "export":
            output = (tmp_path / words[words.index("-o") + 1]).read_bytes() if "-o" in words else done.stdout
            assert output.count(b"\n") > 0, f"{example.name}: {line} exported no rows"


@pytest.mark.parametrize("example", examples("python"), ids=_ids(examples("python")))
def test_python_example(docs_server: DevServer, example: Example, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Labelbox SDK snippets, with $CATALOG_EXPORT_API_KEY the demo key `make run` prints; they must print."""
    monkeypatch.setenv("CATALOG_EXPORT_API_KEY", docs_server.key)
    code = example.text.replace(DOCUMENTED_SERVER, docs_server.url)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, example.name, "exec"), {"__name__": "example"})
    assert printed.getvalue().strip(), f"{example.name} printed nothing"


def test_the_readme_has_examples_of_each_kind() -> None:
    readme = [
        e.language for e in examples("graphql") + examples("sh") + examples("python") if e.path.name == "README.md"
    ]
    assert {"graphql", "sh", "python"} <= set(readme)

"""Real processes killed mid-work: an import (SIGKILL) leaves whole batches, exactly those it reported; an export
server killed (SIGKILL) or stopped (SIGTERM) mid-task finishes the task after a restart, byte-identical."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from server.db import create_engine
from server.export.tasks import E
from server.models import DataRow, Label
from server.settings import Settings
from tests.faults.processes import CLI, cli_env, export_source, run_cli, serve
from tests.utils.process import stop

ROWS, BATCH = 2000, 100
EXPORT = """mutation { exportDataRows(params: {dataRowDetails: true, attachments: true, labelDetails: true,
  projectDetails: true, allProjects: true, allModelRuns: true}) { id } }"""
TASK = "query($id: ID!) { exportTask(id: $id) { status rowCount sha256 } }"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_source(tmp_path_factory.mktemp("source"), ROWS)


def _scalars(settings: Settings, *stmts: object) -> list[object]:
    return asyncio.run(_read(settings, *stmts))


async def _read(settings: Settings, *stmts: object) -> list[object]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return [(await conn.execute(stmt)).scalar() for stmt in stmts]  # type: ignore[call-overload]
    finally:
        await engine.dispose()


def _kill_after_commits(settings: Settings, source: Path, commits: int, commit_rows: int) -> list[str]:
    """Start an import, SIGKILL it once it has reported `commits` commits; every progress line it printed."""
    cmd = [*CLI, "import", str(source), "--batch-size", str(BATCH), "--commit-rows", str(commit_rows)]
    proc = subprocess.Popen(cmd, env=cli_env(settings), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    printed: list[str] = []
    while len(printed) < commits:
        line = proc.stderr.readline()
        assert line, "the import ended before it was killed"
        printed += [line.decode()] if line.startswith(b"batch") else []
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    rest = proc.stderr.read().decode()
    return printed + [line for line in rest.splitlines() if line.startswith("batch")]


@pytest.mark.parametrize("batches_a_commit", [1, 3])
def test_an_import_killed_mid_way_leaves_whole_reported_batches(
    settings: Settings, source: Path, batches_a_commit: int
) -> None:
    run_cli(settings, "migrate")
    commit_rows = batches_a_commit * BATCH
    printed = _kill_after_commits(settings, source, commits=3, commit_rows=commit_rows)
    reported = int(printed[-1].rsplit("(", 1)[1].split()[0])  # "... (T in all)"
    assert reported == len(printed) * commit_rows  # a line per commit, each commit the rows of batches_a_commit
    rows, orphans = _scalars(
        settings,
        select(func.count()).select_from(DataRow.__table__),
        select(func.count())
        .select_from(Label.__table__)
        .where(~Label.__table__.c.data_row_id.in_(select(DataRow.__table__.c.id))),
    )
    assert orphans == 0
    assert rows in (reported, reported + commit_rows)  # + the commit made as the kill came, if any
    if settings.is_sqlite:
        assert _scalars(settings, text("PRAGMA foreign_key_check")) == [None]

    again = subprocess.run([*CLI, "import", str(source)], env=cli_env(settings), capture_output=True)
    assert again.returncode == 1  # the rows that landed before are reported as already there
    assert f"imported {ROWS - rows:,} of {ROWS:,} lines" in again.stderr.decode()
    assert _scalars(settings, select(func.count()).select_from(DataRow.__table__)) == [ROWS]


def _gql(url: str, key: str, query: str, **variables: object) -> dict[str, object]:
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=_auth(key))
    return response.json()["data"]


def _download(url: str, key: str, task_id: str) -> bytes:
    return httpx.get(f"{url}/exports/{task_id}.ndjson", headers=_auth(key)).content


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _wait(url: str, key: str, task_id: str, done: tuple[str, ...]) -> dict[str, object]:
    for _ in range(1200):
        task = _gql(url, key, TASK, id=task_id)["exportTask"]
        if task["status"] in done or (task["rowCount"] and "RUNNING" in done):  # type: ignore[index]
            return task  # type: ignore[return-value]
        time.sleep(0.01)
    raise AssertionError(f"export {task_id} stayed {task}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_an_export_server_stopped_mid_task_finishes_it_after_a_restart(settings: Settings, sig: signal.Signals) -> None:
    run_cli(settings, "seed", "--rows", str(ROWS))
    key = run_cli(settings, "keys", "create", "--org", "demo").strip()
    # pages of 4 rows: 500 pages, so the export is still running when the signal comes, even on a quiet machine
    # (with 200 pages it once finished between two polls)
    env = {"EXPORT_PAGE_SIZE": "4", "EXPORT_LEASE_SECONDS": "1"}
    url, proc = serve(settings, **env)
    try:
        task_id = _gql(url, key, EXPORT)["exportDataRows"]["id"]  # type: ignore[index]
        running = _wait(url, key, task_id, ("RUNNING", "COMPLETE"))
        assert running["status"] == "IN_PROGRESS"
        proc.send_signal(sig)
        proc.wait(30)
    finally:
        stop(proc, grace=0)
    status, checkpoint = _scalars(
        settings, select(E.status).where(E.id == task_id), select(E.row_count).where(E.id == task_id)
    )
    assert status == ("QUEUED" if sig == signal.SIGTERM else "IN_PROGRESS")  # released, or left to its lease
    assert 0 < checkpoint < ROWS  # type: ignore[operator]

    url, proc = serve(settings, **env)
    try:
        resumed = _wait(url, key, task_id, ("COMPLETE", "FAILED"))
        fresh_id = _gql(url, key, EXPORT)["exportDataRows"]["id"]  # type: ignore[index]
        fresh = _wait(url, key, fresh_id, ("COMPLETE", "FAILED"))
        body, expected = _download(url, key, task_id), _download(url, key, fresh_id)
    finally:
        stop(proc)
    assert resumed == fresh and resumed["status"] == "COMPLETE" and resumed["rowCount"] == ROWS
    assert body == expected

"""EXPORT_WORKER_MODE=process: the task runs in the server's worker process and is followed over the stream route
while it runs; a worker process killed mid-task is replaced, and its task is reclaimed after the lease and finished
byte-identical to an uninterrupted export."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from server.export.tasks import E
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import FIELDS, result, running, start_export

ROWS = 150  # 50 pages of 3: the task is still running when the test acts on it


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, export_worker_mode="process")


async def _task(app: Starlette, task_id: str) -> tuple[str, str | None, int]:
    async with app.state.engine.connect() as conn:
        row = (await conn.execute(select(E.status, E.claimed_by, E.row_count).where(E.id == task_id))).one()
    return row.status, row.claimed_by, row.row_count


async def _checkpointed(app: Starlette, task_id: str) -> None:
    """Until the worker process reports a page of the task (it is still running, with a checkpoint)."""
    while (state := await _task(app, task_id))[2] == 0:
        await asyncio.wait_for(app.state.worker.progressed.wait(), 10)
    assert state[0] == "IN_PROGRESS", state


async def test_the_worker_process_runs_the_task_and_the_stream_follows_it(settings: Settings) -> None:
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=ROWS)
        task = await start_export(gql, EVERYTHING)
        async with http.stream("GET", task["url"]) as response:
            assert response.headers["X-Export-Status"] in ("QUEUED", "IN_PROGRESS")
            body = await response.aread()
        done = await gql.wait_export(task["id"], FIELDS)
        _, claimed_by, _ = await _task(app, task["id"])
        pid = app.state.worker.pid
    assert pid != os.getpid() and f":{pid}:" in str(claimed_by)
    assert done["status"] == "COMPLETE" and done["rowCount"] == ROWS == body.count(b"\n")
    assert done["sha256"] == hashlib.sha256(body).hexdigest()


async def test_a_killed_worker_process_is_replaced_and_its_task_reclaimed(settings: Settings) -> None:
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=ROWS)
        task = await start_export(gql, EVERYTHING)
        await _checkpointed(app, task["id"])
        killed = app.state.worker.pid
        os.kill(killed, signal.SIGKILL)  # no release: the task waits for its lease to run out
        resumed = await gql.wait_export(task["id"], FIELDS)
        _, claimed_by, _ = await _task(app, task["id"])
        replacement = app.state.worker.pid
        fresh_id = (await start_export(gql, EVERYTHING))["id"]
        fresh = await gql.wait_export(fresh_id, FIELDS)
        body, expected = await result(http, task["id"]), await result(http, fresh_id)
    assert replacement != killed and f":{replacement}:" in str(claimed_by)
    assert body == expected and body.count(b"\n") == ROWS
    assert resumed == fresh and resumed["status"] == "COMPLETE"

"""Sparse checkpoints: the stored position may lag the written file (first page, then every
EXPORT_CHECKPOINT_SECONDS); a crash between two stores still resumes byte-identical, and a cancel or a lost lease is
seen at the first store after it, so the worker writes at most one page more once the interval has passed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import update
from starlette.applications import Starlette

from server.export.tasks import E, result_path
from server.models import ExportTask
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING, GraphQLClient
from tests.utils.export_tasks import CANCEL, FIELDS, Gate, claim, result, running, start_export


@asynccontextmanager
async def _held(settings: Settings, pages: int) -> AsyncIterator[tuple[Starlette, GraphQLClient, Gate, str]]:
    """An everything-export of 12 rows (four pages) running in an app whose worker is held after `pages` pages."""
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(pages).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()
        yield app, gql, gate, task["id"]


async def test_a_crash_between_checkpoints_resumes_byte_identical(settings: Settings) -> None:
    # Stores: the first page, then every two seconds (a third of the lease, by the page loop and the heartbeat).
    settings = replace(settings, export_checkpoint_seconds=3600.0, export_lease_seconds=6.0)
    async with _held(settings, pages=3) as (a, _, _, task_id):
        a.state.worker._task.cancel()  # the worker dies at once: no store, no release
        await asyncio.gather(a.state.worker._task, return_exceptions=True)
        stored = await claim(a, task_id)
        written = result_path(settings.export_dir, task_id).read_bytes().count(b"\n")
    assert (stored[0], stored[2], written) == ("IN_PROGRESS", 3, 9)  # three pages written, the first one stored
    async with running(settings) as (_, gql, http):
        resumed = await gql.wait_export(task_id, FIELDS)  # reclaimed once the lease ran out
        fresh_id = (await start_export(gql, EVERYTHING))["id"]
        fresh = await gql.wait_export(fresh_id, FIELDS)
        body, expected = await result(http, task_id), await result(http, fresh_id)
    assert body == expected and body.count(b"\n") == 12
    assert resumed == fresh and resumed["status"] == "COMPLETE"


async def test_a_cancel_is_seen_at_the_first_checkpoint_after_it(settings: Settings) -> None:
    settings = replace(settings, export_checkpoint_seconds=0.2)
    async with _held(settings, pages=2) as (_, gql, gate, task_id):
        assert (await gql.data(CANCEL, {"id": task_id}))["cancelExportTask"] == {"status": "CANCELED"}
        await asyncio.sleep(0.2)  # the checkpoint is due: the next page written is stored, and the store fails
        gate.opened.set()
        done = await gql.wait_export(task_id, "status sha256")
        await _emptied(settings)  # the worker removes the partial files when its store sees the cancel
    assert done == {"status": "CANCELED", "sha256": None}
    assert gate.seen == 2  # page 3 was written and its store saw the cancel: its page hook never ran, nor page 4's


async def test_a_lost_lease_is_seen_at_the_next_page_however_sparse_the_checkpoints(settings: Settings) -> None:
    # EXPORT_CHECKPOINT_SECONDS is capped at a third of the (one-second) lease: a store falls due within 0.34 s.
    settings = replace(settings, export_checkpoint_seconds=3600.0)
    async with _held(settings, pages=2) as (app, _, gate, task_id):
        async with app.state.engine.begin() as conn:  # as a worker that reclaimed it after a stall would
            await conn.execute(update(ExportTask.__table__).where(E.id == task_id).values(claimed_by="other"))
        await asyncio.sleep(settings.export_lease_seconds / 3)
        ended = app.state.worker.progressed  # set at the next page hook or when the worker lets go of the task
        gate.opened.set()
        await asyncio.wait_for(ended.wait(), 10)
        written = result_path(settings.export_dir, task_id).read_bytes().count(b"\n")
        status, claimed_by, _ = await claim(app, task_id)
    assert (status, claimed_by, written) == ("IN_PROGRESS", "other", 9)  # page 3 written and stored: LeaseLost
    assert gate.seen == 2


async def _emptied(settings: Settings) -> None:
    for _ in range(200):
        if not any(settings.export_dir.iterdir()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"partial files left: {list(settings.export_dir.iterdir())}")

"""A failing export fails alone: a task whose run raises is FAILED with a reason and the worker goes on; a worker loop
that dies is replaced and its task resumed; a task that kills its worker again and again is FAILED, not retried
forever."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from server.export.tasks import E
from server.models import ExportTask
from server.models.base import new_id, utcnow
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.client import EXPORT_FIELDS as FIELDS
from tests.utils.export_tasks import running, start_export


class WorkerDeath(BaseException):
    """What no handler of the worker expects (as a fault of the interpreter or a library would be)."""


class Killer:
    """The worker's page hook: kills the worker loop at the first page of each run, `times` times."""

    def __init__(self, times: int) -> None:
        self.times = times

    async def __call__(self, task_id: str, rows: int) -> None:
        if self.times > 0:
            self.times -= 1
            raise WorkerDeath(task_id)


GAVE_UP = (
    "the export stopped its worker 2 times (the worker died while running it); it is not retried. "
    "The server log says more; try a narrower export or report it."
)


async def _reclaims(app: object, task_id: str) -> int:
    async with app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(select(E.reclaims).where(E.id == task_id))).scalar_one())


async def test_a_task_whose_run_raises_fails_with_a_reason_and_the_next_one_runs(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=6)
        unreadable = new_id()  # a stored request the worker cannot read (written by an older or broken version)
        async with app.state.engine.begin() as conn:
            row = {"id": unreadable, "organization_id": app.state.organization_id, "status": "QUEUED"}
            await conn.execute(ExportTask.__table__.insert().values(**row, request="{}", created_at=utcnow()))
        with caplog.at_level(logging.ERROR, "catalog_export.export"):
            app.state.worker.wake_up()
            after = await start_export(gql, EVERYTHING)
            failed = await gql.wait_export(unreadable, FIELDS)
            done = await gql.wait_export(after["id"], FIELDS)
    assert (failed["status"], failed["failureReason"]) == (
        "FAILED",
        "the export failed on an internal error (KeyError); it is logged on the server",
    )
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [f"export {unreadable} failed"]
    assert (done["status"], done["ndjson"].count("\n")) == ("COMPLETE", 6)


async def test_a_worker_loop_that_dies_is_replaced_and_its_task_resumed(settings: Settings) -> None:
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        app.state.worker.on_page = Killer(1)
        task = await start_export(gql, EVERYTHING)
        done = await gql.wait_export(task["id"], FIELDS)
        assert (done["status"], done["ndjson"].count("\n")) == ("COMPLETE", 12)
        assert await _reclaims(app, task["id"]) == 1


async def test_a_task_that_kills_its_worker_again_and_again_is_failed(settings: Settings) -> None:
    settings = replace(settings, export_max_reclaims=1)
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        app.state.worker.on_page = Killer(2)  # the first run and its one reclaim
        task = await start_export(gql, EVERYTHING)
        failed = await gql.wait_export(task["id"], FIELDS)
        assert (failed["status"], failed["failureReason"]) == ("FAILED", GAVE_UP)
        after = await gql.wait_export((await start_export(gql, EVERYTHING))["id"], FIELDS)
        assert (after["status"], after["ndjson"].count("\n")) == ("COMPLETE", 12)

"""Several workers on one database: a live worker's task is never taken; a dead worker's task is reclaimed after its
lease and resumed from its checkpoint, byte-identical to an uninterrupted export; a graceful stop hands it back."""

from __future__ import annotations

import asyncio

from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import FIELDS, Gate, claim, result, running, start_export


async def test_a_crashed_workers_task_is_reclaimed_after_its_lease(settings: Settings) -> None:
    async with running(settings) as (a, gql_a, _):
        await build("export", a.state.engine, a.state.organization_id, rows=12)
        gate = Gate(2).install(a)
        task = await start_export(gql_a, EVERYTHING)
        await gate.reached.wait()  # A holds the task; B starts only now (woken by NOTIFY, it could claim it first)
        async with running(settings) as (b, gql_b, http_b):
            b.state.worker.on_page = Gate(99)  # B must not run A's task while A is alive
            await asyncio.sleep(3 * settings.export_lease_seconds)  # three leases long, A holding (and renewing) it
            assert await claim(b, task["id"]) == ("IN_PROGRESS", a.state.worker.name, 6)
            assert b.state.worker.on_page.seen == 0

            a.state.worker._task.cancel()  # A dies without a graceful stop: no release, the lease just runs out
            b.state.worker.on_page = None
            resumed = await gql_b.wait_export(task["id"], FIELDS)
            assert (await claim(b, task["id"]))[1] == b.state.worker.name
            fresh_id = (await start_export(gql_b, EVERYTHING))["id"]
            fresh = await gql_b.wait_export(fresh_id, FIELDS)
            body, expected = await result(http_b, task["id"]), await result(http_b, fresh_id)
    assert body == expected and body.count(b"\n") == 12
    assert resumed == fresh


async def test_a_graceful_stop_puts_the_task_back_at_its_checkpoint(settings: Settings) -> None:
    async with running(settings) as (a, gql_a, _):
        await build("export", a.state.engine, a.state.organization_id, rows=12)
        gate = Gate(3).install(a)
        task = await start_export(gql_a, EVERYTHING)
        await gate.reached.wait()
        await a.state.worker.stop()
        assert await claim(a, task["id"]) == ("QUEUED", None, 9)
    async with running(settings) as (_, gql, http):
        done = await gql.wait_export(task["id"], FIELDS)
        fresh_id = (await start_export(gql, EVERYTHING))["id"]
        fresh = await gql.wait_export(fresh_id, FIELDS)
        assert await result(http, task["id"]) == await result(http, fresh_id)
    assert done == fresh and done["status"] == "COMPLETE"

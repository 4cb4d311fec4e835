"""Organizations take turns for the export worker: the next task is the oldest of the organization served least
recently, so one organization's queue of many exports does not keep another's single export waiting behind it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.export.tasks import ExportRequest, claim_next, create_task, set_task
from server.orgs import ensure_organization


async def test_organizations_take_turns(app: Starlette, engine: AsyncEngine, org_id: str) -> None:
    await app.state.worker.stop()  # this test claims by itself
    other = await ensure_organization(engine, "other")
    a = [await create_task(engine, org_id, ExportRequest()) for _ in range(4)]
    b = [await create_task(engine, other, ExportRequest()) for _ in range(2)]
    claimed = []
    while (task := await claim_next(engine, "w")) is not None:
        claimed.append(task.id)
        await set_task(engine, task.id, status="COMPLETE", claimed_by=None)
    assert claimed == [a[0], b[0], a[1], b[1], a[2], a[3]]

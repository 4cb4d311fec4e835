"""exportTasks: the organization's latest export tasks, newest first, never another organization's; `first` bounded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from tests.factory.tenants import make_tenant
from tests.utils.client import GraphQLClient, http_client

START = "mutation($ids: [ID!]) { exportDataRows(dataRowIds: $ids) { id } }"
RECENT = "query($first: Int!) { exportTasks(first: $first) { id status rowCount bytesWritten } }"


async def test_latest_first_and_only_the_callers(app: Starlette, engine: AsyncEngine) -> None:
    acme, globex = await make_tenant(engine, "acme"), await make_tenant(engine, "globex")
    async with http_client(app, acme.key) as a, http_client(app, globex.key) as g:
        mine, theirs = GraphQLClient(a), GraphQLClient(g)
        started = []
        for row in acme.row_ids:
            started.append((await mine.data(START, {"ids": [row]}))["exportDataRows"]["id"])
            await mine.wait_export(started[-1], "status")
        other = (await theirs.data(START, {"ids": list(globex.row_ids)}))["exportDataRows"]["id"]
        recent = (await mine.data(RECENT, {"first": 20}))["exportTasks"]
        assert [t["id"] for t in recent] == started[::-1]
        assert [(t["status"], t["rowCount"]) for t in recent] == [("COMPLETE", 1)] * 3
        assert [t["id"] for t in (await mine.data(RECENT, {"first": 2}))["exportTasks"]] == started[:0:-1]
        assert [t["id"] for t in (await theirs.data(RECENT, {"first": 20}))["exportTasks"]] == [other]
        error = await mine.error(RECENT, {"first": 101})
        assert (error["extensions"]["code"], error["extensions"].get("field")) == ("BAD_USER_INPUT", "first")

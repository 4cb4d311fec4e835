"""Export tasks from a test: an app on the test's database with a key and its clients, a task started over GraphQL,
the worker held between pages, a task's result and its claim."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.bulk_indexes import DEFERRED
from server.export.tasks import E
from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING, GraphQLClient, http_client

FIELDS = "status rowCount errorCount sha256 failureReason"
START = """mutation($params: ExportParams, $filter: DataRowFilter) {
  exportDataRows(params: $params, filter: $filter) { id status url errorsUrl }
}"""
BUILT = f"built {len(DEFERRED)} secondary indexes (dropped for the load into a database without data rows)"
CANCEL = "mutation($id: ID!) { cancelExportTask(id: $id) { status } }"


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Starlette, GraphQLClient, httpx.AsyncClient]]:
    """The app on `settings`' database, started, with a key's GraphQL and HTTP clients."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        key = (await create_key(app.state.engine, app.state.organization_id, "recovery")).secret
        async with http_client(app, key) as http:
            yield app, GraphQLClient(http), http


async def start_export(gql: GraphQLClient, params: dict[str, Any] | None = None, **variables: Any) -> dict[str, Any]:
    data = await gql.data(START, {"params": params or {}, **variables})
    return data["exportDataRows"]


async def result(http: httpx.AsyncClient, task_id: str) -> bytes:
    """The task's result file, as the server hands it out."""
    return (await http.get(f"/exports/{task_id}.ndjson")).content


async def export_everything(gql: GraphQLClient, http: httpx.AsyncClient, fmt: str = "LABELBOX") -> bytes:
    """Every section of every row, in `fmt`, once the task completes."""
    task = await start_export(gql, {**EVERYTHING, "format": fmt})
    assert (await gql.wait_export(task["id"]))["status"] == "COMPLETE"
    return await result(http, task["id"])


async def exported(settings: Settings, rows: int) -> bytes:
    """A built catalog of `rows` rows in `settings`' database, exported with every section."""
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=rows)
        return await export_everything(gql, http)


async def claim(app: object, task_id: str) -> tuple[str, str | None, int]:
    """(status, the worker holding it, rows written) of a task, as stored."""
    async with app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        row = (await conn.execute(select(E.status, E.claimed_by, E.row_count).where(E.id == task_id))).one()
    return row.status, row.claimed_by, row.row_count


class Gate:
    """Installed as the worker's on_page hook: lets `pages` pages through, then holds the task until opened."""

    def __init__(self, pages: int) -> None:
        self.pages, self.seen = pages, 0
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    async def __call__(self, task_id: str, rows: int) -> None:
        self.seen += 1
        if self.seen == self.pages:
            self.reached.set()
            await self.opened.wait()

    def install(self, app: Starlette) -> Gate:
        app.state.worker.on_page = self
        return self

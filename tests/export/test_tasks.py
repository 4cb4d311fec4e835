"""Export tasks over GraphQL and the stream routes: queued at once, exact lines, follow, offset, gzip, cancel."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert
from starlette.applications import Starlette

from server.export import follow, runner
from server.export.runner import ExportWorker
from server.models import DataRow, Dataset
from server.query.count import count_rows
from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING, GraphQLClient
from tests.utils.export_tasks import CANCEL, Gate, start_export

FIELDS = "status rowCount errorCount totalRows sha256 failureReason ndjson progress"
AT = datetime(2024, 1, 31, 12, 0)


async def test_export_queues_at_once_and_writes_the_exact_line(app: Starlette, gql: GraphQLClient, org_id: str) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(Dataset.__table__), [{"id": "d" * 25, "organization_id": org_id, "name": "cams"}])
        row = {"id": "r" * 25, "organization_id": org_id, "dataset_id": "d" * 25, "global_key": "gk",
               "external_id": None, "row_data": "https://x/1.png", "media_type": "IMAGE", "created_at": AT,
               "updated_at": AT, "created_by": "me@x"}  # fmt: skip
        await conn.execute(insert(DataRow.__table__), [row])
    task = await start_export(gql, {"dataRowDetails": True, "mediaAttributes": True})
    assert task["status"] == "QUEUED"
    done = await gql.wait_export(task["id"], FIELDS)
    expected = (
        '{"data_row":{"id":"rrrrrrrrrrrrrrrrrrrrrrrrr","global_key":"gk","row_data":"https://x/1.png",'
        '"details":{"dataset_id":"ddddddddddddddddddddddddd","dataset_name":"cams","created_at":"2024-01-31T12:00:00.000+00:00",'
        '"updated_at":"2024-01-31T12:00:00.000+00:00","last_activity_at":"2024-01-31T12:00:00.000+00:00","created_by":"me@x"}},'
        '"media_attributes":{},"projects":{},"experiments":{}}\n'
    )
    assert done == {
        "status": "COMPLETE",
        "rowCount": 1,
        "errorCount": 0,
        "totalRows": 1,
        "sha256": hashlib.sha256(expected.encode()).hexdigest(),
        "failureReason": None,
        "ndjson": expected,
        "progress": 1.0,
    }


async def test_stream_follows_a_running_task(app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    catalog = await build("export", app.state.engine, app.state.organization_id, rows=12)
    gate = Gate(pages=2).install(app)
    task = await start_export(gql, EVERYTHING)
    await gate.reached.wait()
    reader = asyncio.create_task(client.get(f"/exports/{task['id']}.ndjson"))
    await asyncio.sleep(0.3)
    assert not reader.done()  # waiting for the rest of a running task
    gate.opened.set()
    response = await reader
    assert response.headers["x-export-status"] == "IN_PROGRESS"
    assert response.headers["content-disposition"] == f'attachment; filename="{task["id"]}.ndjson"'
    lines = response.content.splitlines()
    assert [orjson.loads(line)["data_row"]["id"] for line in lines] == sorted(catalog.row_ids)
    done = await gql.wait_export(task["id"])
    assert hashlib.sha256(response.content).hexdigest() == done["sha256"]


async def test_offset_pieces_concatenate_to_the_full_result(
    app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    task = await start_export(gql, EVERYTHING)
    await gql.wait_export(task["id"])
    full = (await client.get(f"/exports/{task['id']}.ndjson")).content
    pieces = [(await client.get(f"/exports/{task['id']}.ndjson?offset={n}")).content for n in (0, 5, 12, 40)]
    assert b"".join(full.splitlines(keepends=True)[:5]) + pieces[1] == full
    assert pieces[0] == full
    assert pieces[2:] == [b"", b""]


async def test_gzip_when_the_client_accepts_it(app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    task = await start_export(gql, EVERYTHING)
    await gql.wait_export(task["id"])
    plain = await client.get(f"/exports/{task['id']}.ndjson", headers={"Accept-Encoding": "identity"})
    async with client.stream("GET", f"/exports/{task['id']}.ndjson", headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 5


async def test_unknown_task_and_bad_offset(app: Starlette, gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    missing = await client.get("/exports/nope.ndjson")
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"message": "Export task 'nope' does not exist.", "extensions": {"code": "NOT_FOUND"}}]
    }
    task = await start_export(gql)
    bad = await client.get(f"/exports/{task['id']}/errors.ndjson?offset=-1")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_cancel_stops_a_running_task_and_removes_its_files(
    app: Starlette, gql: GraphQLClient, settings: Settings
) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    gate = Gate(pages=1).install(app)
    task = await start_export(gql, EVERYTHING)
    await gate.reached.wait()
    assert (await gql.data(CANCEL, {"id": task["id"]}))["cancelExportTask"] == {"status": "CANCELED"}
    gate.opened.set()
    done = await gql.wait_export(task["id"], "status rowCount sha256")
    assert done == {"status": "CANCELED", "rowCount": 3, "sha256": None}
    # the worker sees the cancel at its next checkpoint store (EXPORT_CHECKPOINT_SECONDS and a page) and then deletes
    for _ in range(100):  # up to 5 s
        if not list(settings.export_dir.iterdir()):
            break
        await asyncio.sleep(0.05)
    assert list(settings.export_dir.iterdir()) == []
    error = await gql.error(CANCEL, {"id": "nope"})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_pages_are_written_while_the_total_is_counted(
    app: Starlette, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without relation leaves the total decides nothing about paging: it is counted on a connection of its own beside
    the pages. Here the count may only start once two pages are written; counted first, the task would never end."""
    await build("export", app.state.engine, app.state.organization_id, rows=12)
    two_pages = asyncio.Event()

    async def page_written(task_id: str, rows: int) -> None:
        if rows >= 6:
            two_pages.set()

    async def count_after_two_pages(conn: Any, scope: Any) -> int:
        await two_pages.wait()
        return await count_rows(conn, scope)

    monkeypatch.setattr(runner, "count_rows", count_after_two_pages)
    app.state.worker.on_page = page_written
    task = await start_export(gql, EVERYTHING)
    done = await asyncio.wait_for(gql.wait_export(task["id"], "status rowCount totalRows progress"), 30)
    assert done == {"status": "COMPLETE", "rowCount": 12, "totalRows": 12, "progress": 1.0}


async def test_a_reader_does_not_wait_for_a_page_finished_while_it_read(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker notifies after each page and at the task's end; a reader that was reading the last page then must
    not wait for a next notification (it used to wait FOLLOW_POLL at the end of such exports)."""
    monkeypatch.setattr(follow, "FOLLOW_POLL", 60.0)
    worker = ExportWorker(app.state.engine, app.state.settings, name="reader-test")
    seen = worker.notifications
    worker._notify()  # the task ended while the reader was reading
    await asyncio.wait_for(follow._next_page(worker, seen), 5)
    waiting = asyncio.create_task(follow._next_page(worker, worker.notifications))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # nothing new since: it waits for the next page
    worker._notify()
    await asyncio.wait_for(waiting, 5)

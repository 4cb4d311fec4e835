"""Restart recovery (stop the app mid-task, start a new one on the same database), error stream, expiry."""

from __future__ import annotations

import hashlib

import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.export import encode
from server.export.params import ExportParams
from server.export.runner import sweep_expired
from server.export.tasks import result_path
from server.loading.lines import iter_line_pages
from server.models import DataRow, Label
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import FIELDS, Gate, result, running, start_export


async def _interrupted_task(settings: Settings, pages: int) -> str:
    """Start an everything-export, let `pages` pages be checkpointed, then stop the whole app mid-task."""
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(pages).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()
        with result_path(settings.export_dir, task["id"]).open("ab") as out:
            out.write(b'{"half a line written after the checkpoint')
    return str(task["id"])


async def test_an_interrupted_task_resumes_from_its_checkpoint(settings: Settings) -> None:
    task_id = await _interrupted_task(settings, pages=2)
    async with running(settings) as (_, gql, http):
        resumed = await gql.wait_export(task_id, FIELDS)
        fresh = await start_export(gql, EVERYTHING)
        reference = await gql.wait_export(fresh["id"], FIELDS)
        body, expected = await result(http, task_id), await result(http, fresh["id"])
    assert body == expected
    assert resumed == reference | {"sha256": hashlib.sha256(expected).hexdigest()}
    assert resumed["rowCount"] == 12


async def test_a_task_whose_file_vanished_fails_with_the_reason(settings: Settings) -> None:
    task_id = await _interrupted_task(settings, pages=1)
    result_path(settings.export_dir, task_id).unlink()
    async with running(settings) as (_, gql, _):
        done = await gql.wait_export(task_id, FIELDS)
    assert done == {
        "status": "FAILED",
        "rowCount": 3,
        "errorCount": 0,
        "sha256": None,
        "failureReason": "could not resume after a restart: the result file is gone",
    }


async def test_rows_with_broken_stored_json_go_to_the_error_stream(settings: Settings) -> None:
    async with running(settings) as (app, gql, http):
        catalog = await build("export", app.state.engine, app.state.organization_id, rows=12)
        bad_label, bad_media = catalog.row_ids[4], catalog.row_ids[7]
        async with app.state.engine.begin() as conn:
            lab, row = Label.__table__.c, DataRow.__table__.c
            stmt = update(Label.__table__).where(lab.data_row_id == bad_label)
            await conn.execute(stmt.values(annotations='{"objects": ['))
            await conn.execute(update(DataRow.__table__).where(row.id == bad_media).values(media_attributes="{'a': 1}"))
        task = await start_export(gql, EVERYTHING)
        done = await gql.wait_export(task["id"], FIELDS)
        body = await result(http, task["id"])
        errors = (await http.get(f"/exports/{task['id']}/errors.ndjson")).content
    assert (done["status"], done["rowCount"], done["errorCount"]) == ("COMPLETE", 10, 2)
    exported = [orjson.loads(line)["data_row"]["id"] for line in body.splitlines()]
    assert exported == sorted(set(catalog.row_ids) - {bad_label, bad_media})
    reasons = {e["data_row_id"]: e["error"] for e in map(orjson.loads, errors.splitlines())}
    assert reasons == {
        bad_label: "stored JSON of this row is invalid (annotations): "
        "unexpected end of data: line 1 column 14 (char 13)",
        bad_media: "stored JSON of this row is invalid (media_attributes): "
        "unexpected character, expected a string key: line 1 column 2 (char 1)",
    }


@pytest.mark.parametrize("chunk", [1, 5, 250])
async def test_a_page_is_encoded_the_same_whatever_its_chunks(
    engine: AsyncEngine, org_id: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines are assembled and encoded a chunk of rows at a time; a broken row in any chunk leaves only itself out."""
    catalog = await build("export", engine, org_id, rows=12)
    bad = catalog.row_ids[7]
    async with engine.begin() as conn:
        row = DataRow.__table__.c
        await conn.execute(update(DataRow.__table__).where(row.id == bad).values(media_attributes="{"))
    monkeypatch.setattr(encode, "CHUNK_ROWS", chunk)
    where = DataRow.__table__.c.organization_id == org_id
    [page] = [page async for page in iter_line_pages(engine, where, ExportParams.everything().to_plan(), 12)]
    encoded = encode.encode_page(page)
    good = [line for line in page.lines if line["data_row"]["id"] != bad]
    assert encoded.data == b"".join(orjson.dumps(line, option=encode.DUMP) for line in good)
    assert (encoded.rows, [orjson.loads(e)["data_row_id"] for e in encoded.errors]) == (11, [bad])


async def test_expired_results_are_swept_and_answer_410(settings: Settings) -> None:
    settings = replace(settings, export_ttl_seconds=0)
    async with running(settings) as (app, gql, http):
        task = await start_export(gql)
        await gql.wait_export(task["id"])
        assert await sweep_expired(app.state.engine, settings) == 1
        assert await sweep_expired(app.state.engine, settings) == 0
        done = await gql.wait_export(task["id"], "status failureReason ndjson")
        gone = await http.get(f"/exports/{task['id']}.ndjson")
    assert done["status"] == "FAILED" and done["ndjson"] is None
    assert done["failureReason"].startswith("expired at ")
    assert not result_path(settings.export_dir, task["id"]).exists()
    assert gone.status_code == 410
    assert gone.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND"}

"""Export results in S3-compatible object storage (a real SeaweedFS): the same bytes as files, pre-signed URLs with
Range, followed while running from the part objects, resumed without uploading a finished part again, and nothing
left behind by a cancel or an expiry."""

from __future__ import annotations

import asyncio
import hashlib
import os

import httpx
import orjson
import pytest
from sqlalchemy import select

from server.export.runner import sweep_expired
from server.export.s3 import MIN_PART, S3Storage
from server.export.tasks import E
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import Gate, running, start_export
from tests.utils.seaweed import SeaweedServer, with_s3

FIELDS = "status rowCount errorCount sha256 failureReason url errorsUrl"
URL = "query($id: ID!) { exportTask(id: $id) { url errorsUrl } }"
CANCEL = "mutation($id: ID!) { cancelExportTask(id: $id) { status } }"


@pytest.fixture
def local(settings: Settings) -> Settings:
    """Three rows a page, a one-second lease: a 12-row export is four pages."""
    return replace(settings, export_page_size=3, export_lease_seconds=1.0)


@pytest.fixture
def s3(local: Settings, s3_server: SeaweedServer) -> Settings:
    """The same database, results in the bucket; every page uploaded as a part (flush at once)."""
    return with_s3(local, s3_server, export_flush_seconds=0.0)


async def _objects(settings: Settings) -> tuple[list[str], list[str]]:
    storage = S3Storage(settings)
    try:
        return await storage.keys(), await storage.uploads()
    finally:
        await storage.aclose()


async def _stored_parts(app: object, task_id: str) -> list[int]:
    async with app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        raw = (await conn.execute(select(E.storage_parts).where(E.id == task_id))).scalar()
    return list(orjson.loads(raw)["result"]) if raw else []


async def test_an_export_in_object_storage_is_byte_identical_and_its_url_is_presigned(
    local: Settings, s3: Settings
) -> None:
    async with running(local) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        reference_id = (await start_export(gql, EVERYTHING))["id"]
        reference = await gql.wait_export(reference_id, FIELDS)
        expected = (await http.get(f"/exports/{reference_id}.ndjson")).content
    async with running(s3) as (app, gql, http):
        task = await start_export(gql, EVERYTHING)
        done = await gql.wait_export(task["id"], FIELDS)
        route = (await http.get(f"/exports/{task['id']}.ndjson")).content
        offset = (await http.get(f"/exports/{task['id']}.ndjson?offset=5")).content
        zipped = await http.get(f"/exports/{task['id']}.ndjson", headers={"Accept-Encoding": "gzip"})
    assert done["url"].startswith(s3.s3_endpoint_url) and "X-Amz-Signature=" in done["url"]
    async with httpx.AsyncClient() as web:  # the pre-signed URL, as any HTTP client gets it (no key)
        body = (await web.get(done["url"])).content
        ranged = await web.get(done["url"], headers={"Range": "bytes=10-99"})
        errors = (await web.get(done["errorsUrl"])).content
    assert body == expected == route and body.count(b"\n") == 12
    assert done["sha256"] == hashlib.sha256(body).hexdigest() == reference["sha256"]
    assert (ranged.status_code, ranged.content) == (206, body[10:100])
    assert offset == b"".join(body.splitlines(keepends=True)[5:])
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == body
    assert errors == b""
    prefix = s3.export_storage.split("/", 3)[3]
    keys, uploads = await _objects(s3)
    assert sorted(keys) == [f"{prefix}/{task['id']}.errors.ndjson", f"{prefix}/{task['id']}.ndjson"]  # parts gone
    assert uploads == []


async def test_a_running_export_is_followed_from_its_uploaded_parts(s3: Settings) -> None:
    async with running(s3) as (app, gql, http):
        catalog = await build("export", app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(pages=2).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()
        assert await _stored_parts(app, task["id"]) != []  # the first pages are objects already
        reader = asyncio.create_task(http.get(f"/exports/{task['id']}.ndjson?offset=1"))
        await asyncio.sleep(0.5)
        assert not reader.done()  # waiting for the rest of a running task
        gate.opened.set()
        response = await reader
        done = await gql.wait_export(task["id"], FIELDS)
        full = (await http.get(f"/exports/{task['id']}.ndjson")).content
    assert response.headers["x-export-status"] == "IN_PROGRESS"
    ids = [orjson.loads(line)["data_row"]["id"] for line in response.content.splitlines()]
    assert ids == sorted(catalog.row_ids)[1:]
    assert hashlib.sha256(full).hexdigest() == done["sha256"]


async def test_a_reclaimed_task_resumes_after_its_last_part_without_uploading_it_again(
    s3: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded: list[str] = []
    put = S3Storage.put

    async def recording_put(self: S3Storage, key: str, data: bytes) -> None:
        uploaded.append(key.rsplit("/", 1)[1])
        await put(self, key, data)

    monkeypatch.setattr(S3Storage, "put", recording_put)
    async with running(s3) as (a, gql_a, _):
        await build("export", a.state.engine, a.state.organization_id, rows=12)
        gate = Gate(2).install(a)
        task = await start_export(gql_a, EVERYTHING)
        await gate.reached.wait()
        a.state.worker._task.cancel()  # A dies: no release, its lease runs out
        await asyncio.gather(a.state.worker._task, return_exceptions=True)
        assert await _stored_parts(a, task["id"]) == [await _part_size(s3, task["id"], n) for n in (1, 2)]
        uploaded.clear()
    async with running(s3) as (_, gql_b, http_b):  # another worker, once the lease has run out
        resumed = await gql_b.wait_export(task["id"], FIELDS)
        body = (await http_b.get(f"/exports/{task['id']}.ndjson")).content
        fresh_id = (await start_export(gql_b, EVERYTHING))["id"]
        await gql_b.wait_export(fresh_id, FIELDS)
        expected = (await http_b.get(f"/exports/{fresh_id}.ndjson")).content
    assert uploaded[:2] == ["result-000003", "result-000004"]  # parts 1 and 2 were kept, not uploaded again
    assert resumed["status"] == "COMPLETE" and resumed["sha256"] == hashlib.sha256(expected).hexdigest()
    assert body == expected


async def _part_size(settings: Settings, task_id: str, number: int) -> int:
    storage = S3Storage(settings)
    try:
        client = await storage.client()
        key = storage.part_key(task_id, "result", number - 1)
        return int((await client.head_object(Bucket=storage.bucket, Key=key))["ContentLength"])
    finally:
        await storage.aclose()


async def test_a_canceled_export_leaves_no_object_and_no_upload(s3: Settings) -> None:
    async with running(s3) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(2).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()
        assert (await _objects(s3))[0] != []
        # a compose interrupted by a crash would leave an upload on the final key: the cancel aborts it too
        storage = app.state.storage
        client = await storage.client()
        await client.create_multipart_upload(Bucket=storage.bucket, Key=storage.key(task["id"], False))
        assert (await gql.data(CANCEL, {"id": task["id"]}))["cancelExportTask"]["status"] == "CANCELED"
        gate.opened.set()
        for _ in range(100):
            if await _objects(s3) == ([], []):
                break
            await asyncio.sleep(0.1)
    assert await _objects(s3) == ([], [])


async def test_expired_results_are_deleted_from_object_storage(s3: Settings) -> None:
    settings = replace(s3, export_ttl_seconds=0)
    async with running(settings) as (app, gql, http):
        await build("export", app.state.engine, app.state.organization_id, rows=5)
        task = await start_export(gql)
        assert (await gql.wait_export(task["id"], FIELDS))["status"] == "COMPLETE"
        assert len((await _objects(settings))[0]) == 2
        assert await sweep_expired(app.state.engine, settings, app.state.storage) == 1
        gone = await http.get(f"/exports/{task['id']}.ndjson")
    assert gone.status_code == 410
    assert await _objects(settings) == ([], [])


async def test_parts_of_at_least_five_mib_are_composed_by_server_side_copy(s3: Settings) -> None:
    """Two 5 MiB parts are copied inside the store; small parts (a slow export) are joined through the worker."""
    storage = S3Storage(s3)
    parts = [os.urandom(MIN_PART), b"a\n" * 10, b"b\n" * 20, os.urandom(MIN_PART), b"tail\n"]
    try:
        for index, data in enumerate(parts):
            await storage.put(storage.part_key("ctask", "result", index), data)
        await storage.compose("ctask", False, [len(p) for p in parts])
        body = b"".join([chunk async for chunk in storage.read("ctask", False)])
        assert body == b"".join(parts)
        assert await storage.uploads() == []
        await storage.remove("ctask")
        assert await storage.keys() == []
    finally:
        await storage.aclose()


async def test_a_dead_workers_canceled_task_leaves_nothing_after_its_expiry(s3: Settings) -> None:
    settings = replace(s3, export_ttl_seconds=0)
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(2).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()
        app.state.worker._task.cancel()  # the worker dies holding the task: nobody is left to delete its parts
        await asyncio.gather(app.state.worker._task, return_exceptions=True)
        await gql.data(CANCEL, {"id": task["id"]})
        assert (await _objects(settings))[0] != []
        assert await sweep_expired(app.state.engine, settings, app.state.storage) == 1
    assert await _objects(settings) == ([], [])

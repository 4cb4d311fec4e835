"""The Labelbox SDK against a server whose results are in object storage (SeaweedFS): the same lines, read through
the pre-signed object URLs and the stream routes the endpoint hands out."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from server.app import create_app
from server.export.s3 import S3Storage
from server.settings import Settings
from tests.labelbox.live import LiveServer, seed_catalog
from tests.labelbox.sdk_cases import dataset_export_with_every_option, error_stream_and_has_errors, sdk_lines
from tests.utils.process import free_port
from tests.utils.seaweed import SeaweedServer, with_s3

TASK = """query($id: ID!) { task(where: {id: $id}) { result
  exportFileFromOffset(streamType: RESULT, offset: 0) { file } } }"""


@pytest.fixture(scope="module")
def live(s3_server: SeaweedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("labelbox-s3")
    base = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'catalog.db'}", export_dir=tmp, port=free_port())
    settings = with_s3(base, s3_server)
    catalog, key = asyncio.run(seed_catalog(settings))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=settings.host, port=settings.port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    live = LiveServer(settings, catalog, key)
    live.settings = settings  # type: ignore[attr-defined]
    yield live
    server.should_exit = True
    thread.join(timeout=10)


def test_dataset_export_with_every_option(live: LiveServer) -> None:
    dataset_export_with_every_option(live)


def test_error_stream_and_has_errors(live: LiveServer) -> None:
    error_stream_and_has_errors(live)


def test_the_sdk_is_handed_presigned_object_urls(live: LiveServer) -> None:
    task = live.sdk().get_dataset(live.catalog.dataset_id).export()
    assert len(sdk_lines(task)) == len(live.catalog.row_ids)
    answer = live.http.post("/labelbox/graphql", json={"query": TASK, "variables": {"id": task.uid}}).json()
    links = answer["data"]["task"]
    settings: Settings = live.settings  # type: ignore[attr-defined]
    for link in (links["result"], links["exportFileFromOffset"]["file"]):
        assert link.startswith(settings.s3_endpoint_url) and "X-Amz-Signature=" in link
    keys = asyncio.run(_keys(settings))
    assert any(key.endswith(f"{task.uid}.ndjson") for key in keys)


async def _keys(settings: Settings) -> list[str]:
    storage = S3Storage(settings)
    try:
        return await storage.keys()
    finally:
        await storage.aclose()

"""A real uvicorn server (own thread, own loop) over a seeded database (each engine), the real SDK, native exports."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import labelbox
import orjson
import pytest
import uvicorn

from server.app import create_app
from server.auth.keys import create_key
from server.db import create_engine
from server.schema_check import create_all
from server.settings import Settings
from tests.conftest import ENGINES
from tests.factory.labelbox import Catalog, build_catalog
from tests.utils.postgres import PostgresServer

NATIVE_EXPORT = """mutation($filter: DataRowFilter, $slice: ID, $ids: [ID!], $params: ExportParams) {
  exportDataRows(filter: $filter, slice: $slice, dataRowIds: $ids, params: $params) { id }
}"""
TASK = "query($id: ID!) { exportTask(id: $id) { status url errorsUrl } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _seed(settings: Settings) -> tuple[Catalog, str]:
    """The catalog plus an API key of its organization (what the SDK authenticates with)."""
    engine = create_engine(settings)
    try:
        await create_all(engine)
        catalog = await build_catalog(engine)
        return catalog, (await create_key(engine, catalog.org_id, "sdk-tests")).secret
    finally:
        await engine.dispose()


class LiveServer:
    def __init__(self, settings: Settings, catalog: Catalog, key: str) -> None:
        self.url = f"http://{settings.host}:{settings.port}"
        self.catalog = catalog
        self.key = key
        self.http = httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {key}"})

    def sdk(self, api_key: str | None = None) -> labelbox.Client:
        return labelbox.Client(api_key=api_key or self.key, endpoint=f"{self.url}/labelbox/graphql")

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = self.http.post("/graphql", json={"query": query, "variables": variables}).json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def native(self, stream: str = "url", **variables: Any) -> list[dict[str, Any]]:
        """The parsed lines of our own exportDataRows for the same scope (`stream`: url or errorsUrl)."""
        task_id = self.graphql(NATIVE_EXPORT, variables)["exportDataRows"]["id"]
        for _ in range(400):
            task = self.graphql(TASK, {"id": task_id})["exportTask"]
            if task["status"] == "COMPLETE":
                return [orjson.loads(line) for line in httpx.get(task[stream]).content.splitlines()]
            time.sleep(0.025)
        raise AssertionError(f"native export {task_id} did not finish: {task}")


@pytest.fixture(scope="module", params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite file, or a PostgreSQL database of its own (created and dropped around the module)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('labelbox') / 'catalog.db'}"
        return
    server = PostgresServer(request.getfixturevalue("postgres_server").admin_url)
    server.create()
    try:
        yield server.url
    finally:
        server.drop()


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp: Path = tmp_path_factory.mktemp("labelbox-exports")
    settings = Settings(database_url=database_url, export_dir=tmp / "exports", port=_free_port())
    catalog, key = asyncio.run(_seed(settings))
    config = uvicorn.Config(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield LiveServer(settings, catalog, key)
    server.should_exit = True
    thread.join(timeout=10)

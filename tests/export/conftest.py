"""Export test helpers: start a task over GraphQL, gate the worker between pages, a live uvicorn server."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.settings import Settings, replace
from tests.conftest import GraphQLClient
from tests.utils.postgres import PostgresServer
from tests.utils.process import stop


@pytest.fixture
def empty_settings(engine_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """A second, empty database on the same engine as `settings` (imports land there; PostgreSQL uses COPY)."""
    exports = tmp_path / "exports-empty"
    if engine_name == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", export_dir=exports)
        return
    server = PostgresServer(request.getfixturevalue("postgres_server").admin_url)
    server.create()
    try:
        yield Settings(database_url=server.url, export_dir=exports)
    finally:
        server.drop()


START = """mutation($params: ExportParams, $filter: DataRowFilter) {
  exportDataRows(params: $params, filter: $filter) { id status url errorsUrl }
}"""


async def start_export(gql: GraphQLClient, params: dict[str, Any] | None = None, **variables: Any) -> dict[str, Any]:
    data = await gql.data(START, {"params": params or {}, **variables})
    return data["exportDataRows"]


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def live_server(settings: Settings) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`catalog-export serve` in its own process on a free loopback port, on the test's database."""
    port = free_port()
    env = os.environ | {"DATABASE_URL": settings.database_url, "EXPORT_DIR": str(settings.export_dir)}
    env["FACET_REFRESH_SECONDS"] = str(settings.facet_refresh_seconds)
    env["SERVE_WORKERS"] = "1"  # one server process and its export worker child, whose memory the tests measure
    cmd = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        yield url, proc
    finally:
        stop(proc)


def _wait_ready(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three rows a page, so a 12-row catalog is exported in four checkpointed pages (on every engine)."""
    return replace(settings, export_page_size=3)

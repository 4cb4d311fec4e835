"""Export test fixtures: a second, empty database, a live `catalog-export serve`, three rows a page."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.settings import Settings, replace
from tests.utils.postgres import PostgresServer
from tests.utils.process import free_port, stop, wait_ready


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
        wait_ready(url)
        yield url, proc
    finally:
        stop(proc)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three rows a page, so a 12-row catalog is exported in four checkpointed pages (on every engine)."""
    return replace(settings, export_page_size=3)

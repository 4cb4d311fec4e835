"""A real uvicorn server (own thread, own loop) over a seeded database (each engine), the real SDK, native exports."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from server.app import create_app
from server.settings import Settings
from tests.labelbox.live import LiveServer, seed_catalog
from tests.utils.postgres import ENGINES, PostgresServer
from tests.utils.process import free_port


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
    settings = Settings(database_url=database_url, export_dir=tmp / "exports", port=free_port())
    catalog, key = asyncio.run(seed_catalog(settings))
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

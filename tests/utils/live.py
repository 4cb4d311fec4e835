"""A real uvicorn server (own thread, own event loop) over a seeded demo catalog, for tests that need a socket: a
WebSocket client, a browser. The database is a SQLite file or a PostgreSQL database of its own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.db import create_engine
from server.http_timeouts import uvicorn_options
from server.ingest.seed import seed_database
from server.orgs import ensure_organization
from server.settings import Settings, replace
from tests.utils.process import free_port


async def _keys(settings: Settings) -> tuple[str, str]:
    """A key of the demo organization and one of another organization."""
    engine = create_engine(settings)
    try:
        demo = await ensure_organization(engine)
        other = await ensure_organization(engine, "other-org")
        return (await create_key(engine, demo, "live")).secret, (await create_key(engine, other, "other")).secret
    finally:
        await engine.dispose()


@dataclass
class Live:
    settings: Settings
    app: Starlette
    server: uvicorn.Server
    key: str
    other_key: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.port}/graphql"

    def on_server_loop(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's own event loop (to read its state where it lives)."""
        loop = self.server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


@contextmanager
def live_server(settings: Settings, rows: int = 0) -> Iterator[Live]:
    """Seed `rows` demo rows, then serve the app on a free loopback port until the block ends."""
    settings = replace(settings, host="127.0.0.1", port=free_port())
    asyncio.run(seed_database(settings, rows=rows))
    key, other_key = asyncio.run(_keys(settings))
    app = create_app(settings)
    options = uvicorn_options(settings)  # the protocol, timeouts and message bounds of `catalog-export serve`
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Live(settings, app, server, key, other_key)
    finally:
        server.should_exit = True
        thread.join(timeout=15)

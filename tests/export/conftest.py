"""Export test fixtures: a second, empty database (`empty_settings`, tests/utils/fixtures.py), a live
`catalog-export serve`, three rows a page."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from server.settings import Settings, replace
from tests.utils.fixtures import empty_settings
from tests.utils.process import free_port, stop, wait_ready


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


__all__ = ["empty_settings"]

"""A slow reader of a large result never grows the server's memory: real uvicorn process, RSS from /proc."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette

from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import START
from tests.utils.process import rss_kib

ROWS = 2000
GROWTH_LIMIT_KIB = 8 * 1024


def _start(http: httpx.Client) -> str:
    body = http.post("/graphql", json={"query": START, "variables": {"params": EVERYTHING}}).json()
    task_id = str(body["data"]["exportDataRows"]["id"])
    query = "query($id: ID!) { exportTask(id: $id) { status } }"
    for _ in range(600):
        status = http.post("/graphql", json={"query": query, "variables": {"id": task_id}}).json()
        if status["data"]["exportTask"]["status"] == "COMPLETE":
            return task_id
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def _slow_read(url: str, pid: int, export_dir: Path, key: str) -> tuple[int, int, int, int]:
    """Start the export, then read its result 64 KiB every 50 ms; (size, read, RSS before, peak RSS)."""
    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as http:
        task_id = _start(http)
        size = (export_dir / f"{task_id}.ndjson").stat().st_size
        headers = {"Accept-Encoding": "identity"}
        with http.stream("GET", f"/exports/{task_id}.ndjson", headers=headers) as response:
            chunks = response.iter_raw(64 * 1024)
            next(chunks)
            before, peak, read = rss_kib(pid), 0, 0
            for _ in range(40):
                read += len(next(chunks))
                time.sleep(0.05)
                peak = max(peak, rss_kib(pid))
    return size, read, before, peak


async def test_slow_reader_keeps_server_memory_flat(
    app: Starlette, settings: Settings, live_server: tuple[str, subprocess.Popen[bytes]], demo_key: str
) -> None:
    await build("export", app.state.engine, app.state.organization_id, rows=ROWS)
    url, proc = live_server
    size, read, before, peak = await asyncio.to_thread(_slow_read, url, proc.pid, settings.export_dir, demo_key)
    assert size > 15_000_000 and read < size / 3  # most of the result is still unread on the server side
    assert peak - before < GROWTH_LIMIT_KIB, (before, peak)

"""The Export dialog follows its task over the exportTaskUpdated subscription (graphql-transport-ws): each state the
task goes through arrives over the page's WebSocket, in order, and no exportTask query is sent while it runs. When the
socket is refused, the dialog polls exportTask instead and still follows the task to its end. (The full export flow,
through a real worker to the downloaded bytes, is in test_catalog.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import WebSocket, WebSocketRoute
from sqlalchemy import update

from server.models import ExportTask
from server.settings import Settings, replace
from tests.browser.page import ROWS, App
from tests.utils.live import Live, live_server

T = ExportTask.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """No export worker: the test moves each task's state itself (as a worker would), so every state between the
    first and the last is seen; the subscription reads its task every 20 ms."""
    tmp = tmp_path_factory.mktemp("progress")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'c.db'}", export_dir=tmp / "exports")
    settings = replace(settings, export_worker_mode="none", subscription_poll_seconds=0.02)
    with live_server(settings, rows=ROWS) as server:
        yield server


def operations(app: App, start: int) -> list[str]:
    """The operations the page sent from its `start`th GraphQL POST on: "query Task", "mutation Export", ..."""
    return [" ".join(re.split(r"[\s(]+", body["query"])[:2]) for body in app.sent[start:]]


def move(app: App, task_id: str, **values: Any) -> None:
    async def write() -> None:
        async with app.live.app.state.engine.begin() as conn:
            await conn.execute(update(T).where(T.c.id == task_id).values(**values))

    app.live.on_server_loop(write())


STEPS: list[dict[str, Any]] = [
    {"status": "IN_PROGRESS", "total_rows": ROWS, "row_count": 60, "bytes_written": 6_000},
    {"row_count": 140, "bytes_written": 14_000},
    {"status": "COMPLETE", "row_count": ROWS, "bytes_written": 20_000},
]
STATUS = ["IN_PROGRESS", "IN_PROGRESS", "COMPLETE"]  # of each step


def export_everything(app: App) -> tuple[str, int]:
    """Open the dialog on every row and start the export; its task id and the number of GraphQL POSTs sent before."""
    app.page.click("#open-export")
    app.page.wait_for_selector("#start-export:enabled", timeout=10_000)
    before = len(app.sent)
    with app.page.expect_response(lambda r: r.url.endswith("/graphql") and "exportDataRows" in (r.text() or "")) as r:
        app.page.click("#start-export")
    return r.value.json()["data"]["exportDataRows"]["id"], before


def drive(app: App, task_id: str) -> None:
    """Move the task through STEPS, each once the dialog shows the one before."""
    for step in STEPS:
        app.page.wait_for_selector("#progress-text[data-status]", timeout=10_000)
        shown = app.page.inner_text("#progress-text")
        move(app, task_id, **step)
        app.page.wait_for_function(
            "shown => document.querySelector('#progress-text').textContent !== shown", arg=shown, timeout=10_000
        )
        app.shot(f"{step['row_count']}-rows")
    app.page.wait_for_selector("#progress-text[data-status=COMPLETE]", timeout=10_000)


def test_progress_arrives_over_the_subscription(app: App) -> None:
    frames: list[dict[str, Any]] = []

    def socket(ws: WebSocket) -> None:
        if ws.url.endswith("/graphql"):
            ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    app.page.on("websocket", socket)
    app.open()
    task_id, before = export_everything(app)
    drive(app, task_id)
    sent = operations(app, before)
    assert sent[0] == "mutation Export" and "query Task" not in sent, sent
    assert frames[0]["type"] == "connection_ack" and frames[-1]["type"] == "complete"
    states = [f["payload"]["data"]["exportTaskUpdated"] for f in frames if f["type"] == "next"]
    got = [(s["status"], s["rowCount"], s["bytesWritten"]) for s in states]
    assert got == [("QUEUED", 0, 0), *[(STATUS[i], s["row_count"], s["bytes_written"]) for i, s in enumerate(STEPS)]]
    assert app.page.get_attribute("#progress-text", "data-via") == "subscription"
    assert app.page.inner_text("#progress-text").startswith(f"COMPLETE: {ROWS} rows, 19.5 KB")
    assert app.page.get_attribute("#download", "href") == states[-1]["url"]


def test_a_refused_socket_falls_back_to_polling(app: App) -> None:
    app.page.route_web_socket(re.compile(r".*/graphql$"), lambda ws: refuse(ws))
    app.open()
    task_id, before = export_everything(app)
    app.page.wait_for_selector("#progress-text[data-via=polling]", timeout=10_000)
    drive(app, task_id)
    sent = operations(app, before)
    assert sent[0] == "mutation Export" and sent.count("query Task") >= len(STEPS), sent
    assert app.page.get_attribute("#progress-text", "data-via") == "polling"
    assert app.page.inner_text("#progress-text").startswith(f"COMPLETE: {ROWS} rows")


def refuse(ws: WebSocketRoute) -> None:
    ws.close(code=1011, reason="the test refuses WebSockets")

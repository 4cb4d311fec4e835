"""`make run`'s flow: a --dev server asks a loopback visitor for no key; the Catalog counts, exports the rows picked
and follows the export over the subscription (connection_init without a key, as loopback HTTP needs none)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import WebSocket

from server.settings import Settings, replace
from tests.browser.page import ROWS, App
from tests.utils.live import Live, live_server

EXPORT = "mutation($ids: [ID!], $p: ExportParams) { exportDataRows(dataRowIds: $ids, params: $p) { id } }"
TASK = "query($id: ID!) { exportTask(id: $id) { status url } }"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("dev")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'c.db'}", export_dir=tmp / "exports")
    with live_server(replace(settings, dev=True), rows=ROWS) as server:
        yield server


def anonymous(app: App, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    payload = httpx.post(f"{app.live.url}/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in payload, payload
    return payload["data"]


def test_dev_mode_needs_no_key_and_follows_the_export_over_the_subscription(app: App) -> None:
    sent: list[dict[str, Any]] = []

    def socket(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))

    app.page.on("websocket", socket)
    app.page.goto(app.live.url + "/")
    assert app.wait_count() == ROWS
    assert not app.page.locator("#key-dialog").evaluate("d => d.open")
    boxes = app.page.locator("#grid .tile input[type=checkbox]")
    ids = [boxes.nth(i).get_attribute("data-id") or "" for i in (0, 1)]
    for i in (0, 1):
        boxes.nth(i).check()
    app.page.click("#open-export")
    app.page.wait_for_selector("#start-export:enabled", timeout=10_000)
    app.page.click("#start-export")
    app.page.wait_for_selector("#progress-text[data-status=COMPLETE]", timeout=30_000)
    app.shot("dev-export")
    assert app.page.get_attribute("#progress-text", "data-via") == "subscription"
    assert [m for m in sent if m["type"] == "connection_init"] == [{"type": "connection_init", "payload": {}}]
    downloaded = httpx.get(app.page.get_attribute("#download", "href") or "").content
    task = anonymous(app, EXPORT, {"ids": ids, "p": {"dataRowDetails": True}})["exportDataRows"]
    for _ in range(600):
        done = anonymous(app, TASK, {"id": task["id"]})["exportTask"]
        if done["status"] == "COMPLETE":
            break
        app.page.wait_for_timeout(50)
    assert downloaded == httpx.get(done["url"]).content and len(downloaded.splitlines()) == 2

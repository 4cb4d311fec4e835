"""A page of the Catalog web app in the test's browser, and what the browser tests share: the catalog's size, the
message box's colours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Request

from tests.utils.live import Live

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "browser"
ROWS = 200
# the message box's background: an error's, a confirmation's
ERROR, SUCCESS = "rgb(255, 235, 233)", "rgb(218, 251, 225)"
TOTAL = "query($f: DataRowFilter, $s: ID) { dataRows(filter: $f, slice: $s, first: 0) { totalCount } }"


class App:
    """A page of the app, signed in with a key; `shot(step)` saves a screenshot."""

    def __init__(self, page: Page, live: Live, name: str) -> None:
        self.page, self.live, self.name = page, live, name
        self.problems: list[str] = []
        self.sent: list[dict[str, Any]] = []  # every GraphQL POST of the page: its query and variables
        page.on("request", self.keep)
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))

    def keep(self, request: Request) -> None:
        if request.method == "POST" and request.url == self.live.url + "/graphql":
            self.sent.append(request.post_data_json)

    def sent_filters(self, operation: str) -> list[Any]:
        """The `filter` variable of each `operation` (e.g. "query Panel") sent so far."""
        return [body["variables"].get("filter") for body in self.sent if body["query"].startswith(operation)]

    def add_condition(self, kind: str, group: str = "") -> str:
        """Add a condition of `kind` at the top (or to the group at selector `group`); its row's selector."""
        if group:
            self.page.select_option(f"{group} > .group-head select[aria-label='Add to group']", kind)
            return f"{group} > ol > li[data-kind={kind}]"
        self.page.select_option("#add-kind", kind)
        return f"#conditions > li[data-kind={kind}]"

    def changed(self) -> int:
        """Wait for the count of the filter just edited (the app waits 200 ms after an edit); the count shown."""
        self.page.wait_for_timeout(300)
        return self.wait_count()

    def shot(self, step: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{step}.png"), full_page=False)

    def open(self, key: str | None = None) -> None:
        """Load `/`, answer the key dialog with `key` (the live key by default), wait for the first count."""
        self.page.goto(self.live.url + "/")
        self.page.fill("#key-input", key or self.live.key)
        self.page.click("#key-form button[type=submit]")
        self.wait_count()

    def wait_count(self) -> int:
        self.page.wait_for_selector("#count[data-state=done]", timeout=20_000)
        self.page.wait_for_function("!document.querySelector('#grid').dataset.loading", timeout=20_000)
        return int(self.page.get_attribute("#count", "data-total") or -1)

    def wait_media(self) -> None:
        """Wait until every image, poster and conversation of the grid has loaded (none may fail)."""
        self.page.wait_for_function("!document.querySelector('#grid [data-media=loading]')", timeout=20_000)
        assert self.page.locator("#grid [data-media=failed]").count() == 0

    def message(self) -> tuple[str, str, str] | None:
        """The message box as (text, role, background color) while it shows, else None."""
        box = self.page.locator("#message")
        if not box.is_visible():
            return None
        background = box.evaluate("b => getComputedStyle(b).backgroundColor")
        return box.inner_text(), box.get_attribute("role") or "", background

    def total(self, tree: dict[str, Any] | None = None, slice_id: str | None = None) -> int:
        """dataRows.totalCount of a filter and/or slice, through the API."""
        data = self.graphql(TOTAL, {"f": tree, "s": slice_id})
        return int(data["dataRows"]["totalCount"])

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.live.key}"}
        body = httpx.post(
            f"{self.live.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        payload = body.json()
        assert "errors" not in payload, payload
        return payload["data"]

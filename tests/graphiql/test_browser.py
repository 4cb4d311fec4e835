"""GraphiQL in a real headless Chromium with every non-loopback request cut: it renders, shows the dev key, runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.utils.dev_server import DevServer

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def offline_page(dev_server: DevServer) -> Iterator[tuple[object, list[str]]]:
    """A page whose requests to anything but the loopback server are aborted (and recorded)."""
    cut: list[str] = []

    def only_loopback(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).hostname in ("127.0.0.1", "localhost") or url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            cut.append(url)
            route.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            yield page, cut
        finally:
            browser.close()


def test_graphiql_renders_and_runs_a_query_without_internet(
    dev_server: DevServer, offline_page: tuple[object, list[str]]
) -> None:
    page, cut = offline_page
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))  # type: ignore[attr-defined]
    page.goto(dev_server.url + "/graphql")  # type: ignore[attr-defined]
    page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror", timeout=20_000)  # type: ignore[attr-defined]
    with page.expect_response(lambda r: "FirstRows" in (r.request.post_data or "")) as answer:  # type: ignore[attr-defined]
        page.click(".graphiql-execute-button")  # type: ignore[attr-defined]
    rows = answer.value.json()["data"]["dataRows"]
    assert rows["totalCount"] == 1000
    assert [n["globalKey"] for n in rows["nodes"]] == [f"demo/image/{n:07d}" for n in range(5)]
    shown = page.locator(".result-window").get_by_text('"totalCount": 1000')  # type: ignore[attr-defined]
    shown.wait_for(timeout=20_000)
    assert cut == [] and failed == []


def test_the_headers_tab_shows_the_dev_key(dev_server: DevServer, offline_page: tuple[object, list[str]]) -> None:
    page, _ = offline_page
    page.goto(dev_server.url + "/graphql")  # type: ignore[attr-defined]
    editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")  # type: ignore[attr-defined]
    editor.wait_for(timeout=20_000)
    assert f'"Authorization": "Bearer {dev_server.key}"' in editor.inner_text()

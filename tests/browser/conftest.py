"""The Catalog web app in a real Chromium (Debian's `chromium`, driven by Playwright for Python) against a real
uvicorn server over a seeded demo catalog, offline: any request to another host is refused and fails the test, as
does any console error or uncaught exception. Each test saves screenshots of its steps under test-output/browser/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, Route, sync_playwright

from server.settings import Settings
from tests.browser.page import ROWS, App
from tests.utils.live import Live, live_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'c.db'}", export_dir=tmp / "exports")
    with live_server(settings, rows=ROWS) as server:
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def app(live: Live, browser: Browser, request: pytest.FixtureRequest) -> Iterator[App]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    app = App(page, live, request.node.name)

    def offline(route: Route) -> None:
        if route.request.url.startswith(live.url + "/"):
            route.continue_()
        else:
            app.problems.append(f"request outside the server: {route.request.url}")
            route.abort()

    context.route("**/*", offline)
    yield app
    context.close()
    assert app.problems == []

"""The web app's routes: the page (marked for anonymous use only in --dev from loopback), its modules, and the demo
catalog's media made by the server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.settings import Settings, replace
from tests.conftest import http_client

ANONYMOUS = '<meta name="catalog-anonymous" content="1">'


async def test_the_page_and_its_modules_are_served(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/catalog/static/app.js">' in page.text and ANONYMOUS not in page.text
    for name in ("app.js", "api.js", "filters.js", "grid.js", "exportDialog.js", "queries.js", "app.css"):
        assert (await anon_client.get(f"/catalog/static/{name}")).status_code == 200, name
    missing = await anon_client.get("/catalog/static/nope.js")
    assert missing.status_code == 404


@pytest.fixture
async def dev_app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(replace(settings, dev=True))
    async with app.router.lifespan_context(app):
        yield app


async def test_dev_mode_marks_the_page_for_loopback_visitors_only(dev_app: Starlette) -> None:
    async with http_client(dev_app) as local, http_client(dev_app, host="10.0.0.7") as remote:
        assert ANONYMOUS in (await local.get("/")).text
        assert ANONYMOUS not in (await remote.get("/")).text


async def test_demo_media_are_deterministic_pngs(anon_client: httpx.AsyncClient) -> None:
    first = await anon_client.get("/demo-media/images/street-0000001.png")
    again = await anon_client.get("/demo-media/images/street-0000001.png")
    other = await anon_client.get("/demo-media/images/street-0000002.png")
    mask = await anon_client.get("/demo-media/masks/c0000000abc.png")
    for response in (first, mask):
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert first.content == again.content != other.content
    refused = await anon_client.get("/demo-media/videos/traffic-0000001.mp4")
    assert refused.status_code == 404 and refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

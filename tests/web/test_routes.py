"""The web app's routes: the page (marked for anonymous use only in --dev from loopback), its modules, and the demo
catalog's media made by the server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.ingest.seed_chats import conversational_json
from server.settings import Settings, replace
from server.web import STATIC
from tests.utils.client import http_client

ANONYMOUS = '<meta name="catalog-anonymous" content="1">'


async def test_the_page_and_its_modules_are_served(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/catalog/static/app.js">' in page.text and ANONYMOUS not in page.text
    names = sorted(p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css"))
    assert {"app.js", "api.js", "app.css"} <= set(names)
    for name in names:
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
    poster = await anon_client.get("/demo-media/posters/traffic-0000001.png")
    for response in (first, mask, poster):
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert first.content == again.content != other.content != poster.content
    chat = await anon_client.get("/demo-media/chats/chat-0000009-7.json")
    assert chat.status_code == 200 and chat.headers["content-type"] == "application/json"
    assert chat.json() == conversational_json("chat-0000009-7") and len(chat.json()["messages"]) == 7
    for wrong in ("chat-0000009-7.png", "chat-0000009.json", "chat-0000009-0.json", "chat-0000009-101.json"):
        missing = await anon_client.get(f"/demo-media/chats/{wrong}")
        assert missing.status_code == 404 and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for wrong in ("videos/traffic-0000001.mp4", "videos/traffic-0000001-901.mp4", "reports/r.txt", "films/a.mp4"):
        refused = await anon_client.get(f"/demo-media/{wrong}")
        assert refused.status_code == 404 and refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_demo_videos_and_attachments_are_served(anon_client: httpx.AsyncClient) -> None:
    video = await anon_client.get("/demo-media/videos/traffic-0000005-90.mp4")
    longer = await anon_client.get("/demo-media/videos/traffic-0000005-300.mp4")
    assert video.status_code == longer.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:12] == b"ftypisom" and b"avcC" in video.content
    assert 30_000 < len(video.content) < len(longer.content) < 40_000  # one picture, then a few bytes a frame
    report = await anon_client.get("/demo-media/reports/report-0000005.html")
    assert report.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Report report-0000005</h1>" in report.text
    note = await anon_client.get("/demo-media/notes/note-0000005.txt")
    assert note.headers["content-type"] == "text/plain; charset=utf-8" and "note-0000005" in note.text
    overlay = await anon_client.get("/demo-media/overlays/overlay-0000005.png")
    assert overlay.headers["content-type"] == "image/png" and overlay.content.startswith(b"\x89PNG")

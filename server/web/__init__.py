"""The Catalog web app: static files of the package (plain ES modules, no build step, nothing fetched from elsewhere),
served at `/` and under /catalog/static/; it talks only to /graphql, like any front end."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.auth.principal import is_loopback
from server.web.demo_media import PREFIX, demo_media

STATIC = Path(__file__).parent / "static"


ANONYMOUS = '<meta name="catalog-anonymous" content="1">'


async def index(request: Request) -> Response:
    """The app's page; in --dev mode, for loopback visitors, marked so that it asks for no key (as /graphql asks
    none of them)."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    if request.app.state.settings.dev and is_loopback(request):
        html = html.replace("</head>", f"  {ANONYMOUS}\n</head>", 1)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


def web_routes() -> list[BaseRoute]:
    return [
        Route("/", index),
        Mount("/catalog/static", StaticFiles(directory=STATIC), name="catalog-static"),
        Route(PREFIX + "/{kind}/{name}", demo_media),
    ]

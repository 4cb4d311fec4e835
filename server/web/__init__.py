"""The Catalog web app: static files of the package (plain ES modules, no build step, nothing fetched from elsewhere),
served at `/` and under /catalog/static/; it talks only to /graphql, like any front end."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def web_routes() -> list[BaseRoute]:
    return [
        Route("/", index),
        Mount("/catalog/static", StaticFiles(directory=STATIC), name="catalog-static"),
    ]

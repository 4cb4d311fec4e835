"""Per-request Context and the GraphQL ASGI app subclass (context, orjson encoding)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL

from server.export.runner import ExportWorker
from server.settings import Settings


@dataclass
class Context:
    engine: AsyncEngine
    settings: Settings
    organization_id: str
    request: Request | None
    worker: ExportWorker | None = None

    def absolute_url(self, path: str) -> str:
        base = (
            str(self.request.base_url)
            if self.request is not None
            else f"http://{self.settings.host}:{self.settings.port}/"
        )
        return base.rstrip("/") + path


class CatalogGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context (engine, org, settings from app state) and orjson encoding."""

    async def get_context(self, request: Request, response: Response | Any) -> Context:  # type: ignore[override]
        state = request.app.state
        return Context(
            engine=state.engine,
            settings=state.settings,
            organization_id=state.organization_id,
            request=request,
            worker=state.worker,
        )

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)

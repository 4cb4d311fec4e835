"""Per-request Context and the GraphQL ASGI app subclass (context, orjson encoding)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from server.auth.principal import Principal, authenticate
from server.auth.signing import sign_path
from server.export.worker_process import AppWorker
from server.settings import Settings


@dataclass
class Context:
    engine: AsyncEngine
    settings: Settings
    organization_id: str
    request: Request | WebSocket | None
    worker: AppWorker | None = None
    principal: Principal | None = None
    connection_params: dict[str, Any] | None = None  # a WebSocket's connection_init payload

    def signed_url(self, path: str) -> str:
        """An absolute link to `path` that works without a key until it expires (export streams)."""
        if self.request is None:
            return self.absolute_url(path)
        secret = self.request.app.state.link_secret
        return self.absolute_url(sign_path(secret, path, self.settings.link_ttl_seconds))

    def absolute_url(self, path: str) -> str:
        base = (
            str(self.request.base_url)
            if self.request is not None
            else f"http://{self.settings.host}:{self.settings.port}/"
        )
        if base.startswith("ws"):  # a subscription's links are for HTTP clients: ws(s):// → http(s)://
            base = "http" + base[2:]
        return base.rstrip("/") + path


class CatalogGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context (engine, org, settings from app state) and orjson encoding."""

    async def get_context(self, request: Request, response: Response | Any) -> Context:  # type: ignore[override]
        """The context of an authenticated request: its organization comes from its key (or --dev loopback)."""
        principal = await authenticate(request)
        state = request.app.state
        return Context(
            engine=state.engine,
            settings=state.settings,
            organization_id=principal.organization_id,
            request=request,
            worker=state.worker,
            principal=principal,
        )

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)

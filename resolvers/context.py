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
from server.errors import CatalogError, ErrorCode, limit_exceeded
from server.export.storage import ExportStorage, LocalStorage
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
    inline_bytes: int = 0  # bytes of export results this request has answered inline so far
    slot: str | None = None  # a websocket's connection slot while it holds one (resolvers.websocket)

    def take_inline(self, size: int) -> None:
        """Count `size` more bytes answered inline; LIMIT_EXCEEDED past MAX_INLINE_BYTES for the whole request (so
        thirty aliases of one result cannot multiply it)."""
        most = self.settings.max_inline_bytes
        if self.inline_bytes + size > most:
            message = (
                f"This request would answer more than {most} bytes of export results inline; "
                "ask for fewer `ndjson` fields at once or GET the tasks' `url`."
            )
            raise limit_exceeded(message, "ndjson")
        self.inline_bytes += size

    storage: ExportStorage | None = None

    def admin_organization(self, what: str) -> str:
        """The organization of an admin key; FORBIDDEN for other keys (`what` they tried to manage)."""
        if self.principal is None or not self.principal.admin:
            message = f"Only admin keys can manage {what}; ask an admin of your organization."
            raise CatalogError(ErrorCode.FORBIDDEN, message)
        return self.organization_id

    @property
    def export_storage(self) -> ExportStorage:
        return self.storage or LocalStorage(self.settings.export_dir)

    connection_params: dict[str, Any] | None = None  # a WebSocket's connection_init payload

    def signed_url(self, path: str) -> str:
        """An absolute link to `path` that works without a key until it expires (export streams)."""
        if self.request is None:
            return self.absolute_url(path)
        secret = self.request.app.state.link_secret
        return self.absolute_url(sign_path(secret, path, self.settings.link_ttl_seconds))

    def absolute_url(self, path: str) -> str:
        """PUBLIC_URL when set (the request's Host header is the caller's to choose), else the request's own base."""
        if self.settings.public_url:
            base = self.settings.public_url
        elif self.request is not None:
            base = str(self.request.base_url)
        else:
            base = f"http://{self.settings.host}:{self.settings.port}/"
        if base.startswith("ws"):  # a subscription's links are for HTTP clients: ws(s):// → http(s)://
            base = "http" + base[2:]
        return base.rstrip("/") + path


class CatalogGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our context (engine, org, settings from app state) and orjson encoding."""

    # HTTP requests only: the websocket view (resolvers.websocket) overrides it for WebSocket too
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
            storage=state.storage,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

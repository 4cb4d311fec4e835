"""create_app(settings) -> Starlette: GraphQL, export streams, health; the lifespan owns engine and worker."""

from __future__ import annotations

import gc
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from resolvers.http import CatalogHTTP
from resolvers.labelbox.schema import labelbox_app
from resolvers.websocket import CatalogWebSocket, SocketSlots
from server.allocator import IdleTrim
from server.auth.key_cache import Generation, KeyCache
from server.auth.keys import NewKey, revoke_key, rotate_key
from server.cors import JSONCORSMiddleware
from server.db import create_engine, warm_pool
from server.errors import ErrorCode, shown
from server.export.storage import open_storage
from server.export.stream import export_errors, export_result
from server.export.worker_process import start_worker
from server.facets.refresher import FacetRefresher
from server.graphiql import assets_mount
from server.limits import BodyLimitMiddleware, Limiter, RateLimiter
from server.orgs import ensure_organization
from server.responses import error_response, rejection_response
from server.schema_check import prepare_schema
from server.settings import Settings
from server.unavailable import is_unavailable, unavailable
from server.web import web_routes

# Made at start-up, so the first requests do not each wait for a new connection (a key lookup and a resolver's: two a
# request; an in-loop export worker uses the same pool).
SERVER_CONNECTIONS = 4


async def healthz(request: Request) -> Response:
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver failure means "database unreachable"
        detail = (str(exc).splitlines() or [""])[0][:200]
        reason = f"database unreachable: {type(exc).__name__}: {detail}"
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__, "reason": reason}, 503)
    return JSONResponse({"status": "ok", "database": "ok"})


@cache
def freeze_startup_heap() -> None:
    """Once per process, after the first startup: what exists then (modules, schema, models: ~150k objects) lives as
    long as the process, so it leaves the cyclic collector's full passes, which otherwise walk it every dozen or so
    requests of 100 full rows (~150 ms each on a loaded 2-vCPU machine)."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings, rate_limiter: Limiter | None = None, key_generation: Generation | None = None
) -> Starlette:
    """The app; its rate limiter and its key cache's revocation generation are its own unless given (the server
    processes of `serve --workers N` share theirs)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        try:
            await prepare_schema(engine)  # empty database: migrate to head; out of date: refuse (SchemaOutOfDate)
        except BaseException:
            await engine.dispose()
            raise
        app.state.engine = engine
        app.state.settings = settings
        app.state.organization_id = await ensure_organization(engine)
        dev_key = await announce_dev_key(engine, app.state.organization_id, settings) if settings.dev else None
        if dev_key is not None:
            app.state.keys.revoked()  # the dev keys it replaced
        app.state.dev_key = dev_key.secret if dev_key else None
        app.state.storage = open_storage(settings)
        app.state.worker = await start_worker(engine, settings)
        app.state.facets = FacetRefresher(engine, settings.facet_refresh_seconds)
        app.state.facets.start()
        await warm_pool(engine, min(SERVER_CONNECTIONS, settings.database_pool_size))
        freeze_startup_heap()
        try:
            yield
        finally:
            await app.state.facets.stop()
            if app.state.worker is not None:
                await app.state.worker.stop()
            await app.state.storage.aclose()
            if dev_key is not None:
                await revoke_key(engine, dev_key.info.id)
                app.state.keys.revoked()
            await engine.dispose()

    graphql = CatalogHTTP(settings)
    routes = [
        Route("/graphql", graphql),  # CatalogHTTP answers other methods: 405 + Allow
        WebSocketRoute("/graphql", CatalogWebSocket(settings)),  # subscriptions (graphql-transport-ws)
        Route("/exports/{task_id}.ndjson", export_result),
        Route("/exports/{task_id}/errors.ndjson", export_errors),
        Route("/healthz", healthz),
        Route("/labelbox/graphql", labelbox_app(settings)),  # the same pipeline as /graphql; POST only
        assets_mount(),
        *web_routes(),  # the Catalog web app at /
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware(settings), exception_handlers=HTTP_ERRORS)
    app.state.rate_limiter = rate_limiter or RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.sockets = SocketSlots(settings.max_sockets_per_key)
    app.state.keys = KeyCache(settings.api_key_cache_seconds, key_generation)
    app.state.link_secret = settings.secret_key.encode() or secrets.token_bytes(32)
    return app


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown paths, wrong methods) as coded JSON like every other refusal."""
    status = getattr(exc, "status_code", 404)
    code = ErrorCode.NOT_FOUND if status == 404 else ErrorCode.BAD_USER_INPUT
    message = f"{request.method} {shown(request.url.path)}: {getattr(exc, 'detail', 'Not Found')}."
    return error_response(status, code, message, getattr(exc, "headers", None))  # 405 keeps its Allow


async def unavailable_error(request: Request, exc: Exception) -> Response:
    """The database down while serving a stream or another route outside GraphQL: 503 SERVICE_UNAVAILABLE."""
    if not is_unavailable(exc):
        raise exc
    return rejection_response(unavailable())


HTTP_ERRORS = {404: http_error, 405: http_error, DBAPIError: unavailable_error, OSError: unavailable_error}


def middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: the heap is trimmed when idle, CORS answers preflights, oversized bodies stop before anything
    reads them."""
    cors = Middleware(
        JSONCORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        expose_headers=["X-Export-Status", "Retry-After"],
        max_age=600,
    )
    return [
        Middleware(IdleTrim),
        cors,
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(GZipMiddleware, minimum_size=500, compresslevel=3),
    ]


def dev_key_name(settings: Settings) -> str:
    return f"dev-server {settings.host}:{settings.port}"


async def announce_dev_key(engine: AsyncEngine, organization_id: str, settings: Settings) -> NewKey:
    """--dev: a fresh `demo` admin key, printed once for the developer and revoked when this server stops.

    It is named for the address the server listens on, which it holds by then, so the live keys it replaces are
    those of a server on the same address that was killed: a dev server on another port keeps its key."""
    key = await rotate_key(engine, organization_id, dev_key_name(settings))
    shown = f"demo organization key (dev mode, also in GraphiQL's Headers tab): {key.secret}"
    print(shown, file=sys.stderr, flush=True)
    return key

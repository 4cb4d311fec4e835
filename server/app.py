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
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from resolvers.http import CatalogHTTP
from resolvers.labelbox.schema import labelbox_app
from resolvers.websocket import CatalogWebSocket, SocketSlots
from server.auth.keys import rotate_key
from server.db import create_engine, warm_pool
from server.errors import ErrorCode
from server.export.stream import export_errors, export_result
from server.export.worker_process import start_worker
from server.facets.refresher import FacetRefresher
from server.limits import BodyLimitMiddleware, RateLimiter
from server.orgs import ensure_organization
from server.responses import error_response, rejection_response
from server.schema_check import prepare_schema
from server.settings import Settings
from server.unavailable import is_unavailable, unavailable
from server.web import web_routes

DEV_KEY_NAME = "dev-server"
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


def create_app(settings: Settings) -> Starlette:
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
        app.state.dev_key = await announce_dev_key(engine, app.state.organization_id) if settings.dev else None
        app.state.worker = await start_worker(engine, settings)
        app.state.facets = FacetRefresher(engine, settings.facet_refresh_seconds)
        app.state.facets.start()
        await warm_pool(engine, min(SERVER_CONNECTIONS, settings.pool_size))
        freeze_startup_heap()
        try:
            yield
        finally:
            await app.state.facets.stop()
            await app.state.worker.stop()
            await engine.dispose()

    graphql = CatalogHTTP(settings)
    routes = [
        Route("/graphql", graphql),  # CatalogHTTP answers other methods: 405 + Allow
        WebSocketRoute("/graphql", CatalogWebSocket(settings)),  # subscriptions (graphql-transport-ws)
        Route("/exports/{task_id}.ndjson", export_result),
        Route("/exports/{task_id}/errors.ndjson", export_errors),
        Route("/healthz", healthz),
        Route("/labelbox/graphql", labelbox_app(), methods=["POST"]),
        *web_routes(),  # the Catalog web app at /
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware(settings), exception_handlers=HTTP_ERRORS)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.sockets = SocketSlots(settings.max_sockets_per_key)
    app.state.link_secret = settings.secret_key.encode() or secrets.token_bytes(32)
    return app


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown paths, wrong methods) as coded JSON like every other refusal."""
    status = getattr(exc, "status_code", 404)
    code = ErrorCode.NOT_FOUND if status == 404 else ErrorCode.BAD_USER_INPUT
    return error_response(status, code, f"{request.method} {request.url.path}: {getattr(exc, 'detail', 'Not Found')}.")


async def unavailable_error(request: Request, exc: Exception) -> Response:
    """The database down while serving a stream or another route outside GraphQL: 503 SERVICE_UNAVAILABLE."""
    if not is_unavailable(exc):
        raise exc
    return rejection_response(unavailable())


HTTP_ERRORS = {404: http_error, 405: http_error, DBAPIError: unavailable_error, OSError: unavailable_error}


def middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: CORS answers preflights, oversized bodies stop before anything reads them."""
    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        expose_headers=["X-Export-Status", "Retry-After"],
        max_age=600,
    )
    return [
        cors,
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(GZipMiddleware, minimum_size=500, compresslevel=3),
    ]


async def announce_dev_key(engine: AsyncEngine, organization_id: str) -> str:
    """--dev: a fresh `demo` admin key (the previous dev key is revoked), printed once for the developer."""
    key = await rotate_key(engine, organization_id, DEV_KEY_NAME)
    print(f"demo organization key (dev mode, also pre-filled in GraphiQL): {key.secret}", file=sys.stderr, flush=True)
    return key.secret

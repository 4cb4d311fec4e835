"""create_app(settings) -> Starlette: GraphQL, export streams, health; the lifespan owns engine and worker."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resolvers.context import CatalogGraphQL
from resolvers.schema import schema
from server.db import create_engine
from server.export.runner import ExportWorker
from server.export.stream import export_errors, export_result
from server.orgs import ensure_organization
from server.schema_check import prepare_schema
from server.settings import Settings


async def healthz(request: Request) -> Response:
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver failure means "database unreachable"
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def worker_name() -> str:
    """Who claimed a task (`exporttask.claimed_by`): host and process, unique among processes sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


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
        app.state.worker = ExportWorker(engine, settings, name=worker_name())
        app.state.worker.start()
        try:
            yield
        finally:
            await app.state.worker.stop()
            await engine.dispose()

    graphql = CatalogGraphQL(schema, graphql_ide="graphiql")
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/exports/{task_id}.ndjson", export_result),
        Route("/exports/{task_id}/errors.ndjson", export_errors),
        Route("/healthz", healthz),
    ]
    return Starlette(
        routes=routes, lifespan=lifespan, middleware=[Middleware(GZipMiddleware, minimum_size=500, compresslevel=6)]
    )

"""The database briefly unreachable (PostgreSQL behind a proxy we stop) or locked (SQLite): /healthz says so, GraphQL
answers 503 SERVICE_UNAVAILABLE without a stack trace, and service resumes by itself."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.settings import Settings, replace
from tests.faults.proxy import Proxy
from tests.utils.client import http_client

ROWS = "{ dataRows(first: 1) { nodes { id } } }"
EXPORT = "mutation { exportDataRows { id } }"
UNAVAILABLE = {
    "errors": [
        {
            "message": "The database is unavailable right now; retry in a few seconds.",
            "extensions": {"code": "SERVICE_UNAVAILABLE"},
        }
    ]
}


async def _client(app: Starlette) -> httpx.AsyncClient:
    key = (await create_key(app.state.engine, app.state.organization_id, "faults")).secret
    return http_client(app, key)


def _unavailable(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 503, response.text
    assert "Traceback" not in response.text
    return {"errors": [{k: e[k] for k in ("message", "extensions")} for e in response.json()["errors"]]}


@pytest.fixture
async def proxied(settings: Settings) -> AsyncIterator[tuple[Proxy, Starlette]]:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL behind a TCP proxy; SQLite has test_a_locked_sqlite_database_answers_503")
    url = make_url(settings.database_url)
    proxy = Proxy(url.port or 5432)
    await proxy.start()
    app = create_app(replace(settings, database_url=url.set(port=proxy.port).render_as_string(False)))
    async with app.router.lifespan_context(app):
        yield proxy, app
    await proxy.stop()


async def test_postgres_unreachable_then_back(proxied: tuple[Proxy, Starlette]) -> None:
    proxy, app = proxied
    async with await _client(app) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok", "database": "ok"}
        await proxy.stop()
        health = await http.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert health.json()["reason"].startswith("database unreachable: ")
        assert _unavailable(await http.post("/graphql", json={"query": ROWS})) == UNAVAILABLE
        assert _unavailable(await http.post("/graphql", json={"query": EXPORT})) == UNAVAILABLE
        assert _unavailable(await http.get("/exports/c0000000000000000000000000.ndjson")) == UNAVAILABLE

        await proxy.start()  # same port: the pool's pre-ping replaces the dead connections
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.post("/graphql", json={"query": ROWS})).json() == {"data": {"dataRows": {"nodes": []}}}


async def test_a_locked_sqlite_database_answers_503(settings: Settings, app: Starlette) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite's lock; PostgreSQL has test_postgres_unreachable_then_back")
    async with await _client(app) as http:
        holder = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock beyond busy_timeout
        try:
            locked = await http.post("/graphql", json={"query": EXPORT})
            assert _unavailable(locked) == UNAVAILABLE
            assert locked.json()["errors"][0]["path"] == ["exportDataRows"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert "errors" not in (await http.post("/graphql", json={"query": EXPORT})).json()

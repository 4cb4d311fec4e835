"""The TypeScript example of docs/web-app.md: each of its GraphQL documents is valid against the schema, and the
queries and the mutation run against the demo catalog with the variables the example sends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.ingest.seed import seed_database
from server.settings import Settings
from tests.utils.client import GraphQLClient, http_client

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "web-app.md").read_text()
DOCUMENTS = dict(
    (re.search(r"(?:query|mutation|subscription) (\w+)", d).group(1), d)  # type: ignore[union-attr]
    for d in re.findall(r"/\* GraphQL \*/ `(.*?)`", DOC, re.S)
)
FILTER = {"mediaTypes": ["IMAGE"], "project": {"labeled": True}}


@pytest.fixture
async def demo(settings: Settings) -> AsyncIterator[Starlette]:
    await seed_database(settings, rows=200)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def test_the_example_holds_its_four_documents_and_each_is_valid() -> None:
    assert sorted(DOCUMENTS) == ["Export", "Facets", "Page", "Updates"]
    schema = build_schema((ROOT / "schema.graphql").read_text())
    for name, document in DOCUMENTS.items():
        assert validate(schema, parse(document)) == [], name


async def test_the_example_runs_against_the_demo_catalog(demo: Starlette) -> None:
    key = (await create_key(demo.state.engine, demo.state.organization_id, "doc")).secret
    async with http_client(demo, key) as http:
        gql = GraphQLClient(http)
        facets = (await gql.data(DOCUMENTS["Facets"], {"filter": FILTER}))["dataRowFacets"]
        page = (await gql.data(DOCUMENTS["Page"], {"filter": FILTER}))["dataRows"]
        assert len(page["edges"]) == min(50, facets["totalCount"]) and facets["totalCount"] >= 3
        assert page["pageInfo"]["hasNextPage"] is (facets["totalCount"] > 50)
        ids = [edge["node"]["id"] for edge in page["edges"][:3]]
        projects = [p["id"] for p in facets["projects"] if p["labeledCount"] > 0]
        assert projects
        params = {"dataRowDetails": True, "labelDetails": True, "projectIds": projects}
        task = (await gql.data(DOCUMENTS["Export"], {"ids": ids, "params": params}))["exportDataRows"]
        done = await gql.wait_export(task["id"], "status rowCount url")
        assert (done["status"], done["rowCount"]) == ("COMPLETE", 3)

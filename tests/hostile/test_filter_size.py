"""Large boolean filters: the whole tree is refused over MAX_FILTER_NODES before any statement runs; a wide `or` of one
kind of id leaf is one `IN`; a statement the engine cannot evaluate is LIMIT_EXCEEDED (never SERVICE_UNAVAILABLE,
which clients retry), and the log keeps a short piece of its SQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.auth.keys import create_key
from server.filters.tree import Leaf, Or, parse_filter
from server.filters.values import FilterLimits
from server.settings import Settings, replace
from tests.factory import build
from tests.utils.client import GraphQLClient, http_client
from tests.utils.statements import count_statements

COUNT = "query($f: DataRowFilter) { dataRows(filter: $f, first: 1) { totalCount } }"


def wide_or(leaves: list[dict[str, Any]]) -> dict[str, Any]:
    return {"or": leaves}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, max_tokens=10_000)  # room for an inline filter of 501 leaves


async def test_a_tree_over_the_node_budget_is_refused_before_any_statement(
    gql: GraphQLClient, engine: AsyncEngine
) -> None:
    tree = wide_or([{"globalKeys": [f"k{i}"]} for i in range(10_000)])  # 10,001 nodes, ~270 KB
    with count_statements(engine) as counted:
        in_variables = await gql(COUNT, {"f": tree})
        leaves = ", ".join(['{ids: ["a"]}'] * 501)
        inline = await gql.error("{ dataRows(filter: {or: [" + leaves + "]}) { totalCount } }")
    assert in_variables["errors"] == [  # refused before GraphQL coerces the variables
        {
            "message": "variables.f has more than 500 conditions and and/or/not nodes; split the request.",
            "extensions": {"code": "LIMIT_EXCEEDED", "field": "variables.f"},
        }
    ]
    assert (inline["message"], inline["extensions"]) == (
        "filter has more than 500 conditions and and/or/not nodes; split the request.",
        {"code": "LIMIT_EXCEEDED", "field": "filter"},
    )
    assert counted.statements == []


def test_a_wide_or_of_one_id_kind_is_one_leaf() -> None:
    tree = wide_or([{"ids": [f"r{i % 300}"]} for i in range(400)] + [{"mediaTypes": ["IMAGE"]}, {"ids": ["r1", "x"]}])
    ids = [f"r{i}" for i in range(300)] + ["x"]
    assert parse_filter(tree) == Or(
        (Leaf("ids", ids, "filter.or.0.ids"), Leaf("mediaTypes", ["IMAGE"], "filter.or.400.mediaTypes"))
    )
    assert parse_filter(wide_or([{"ids": ["a"]}, {"ids": ["b", "c"]}]), limits=FilterLimits(max_in_list=2)) == Or(
        (Leaf("ids", ["a", "b"], "filter.or.0.ids"), Leaf("ids", ["c"], "filter.or.0.ids"))
    )


async def test_a_wide_or_counts_as_its_in_list(gql: GraphQLClient, engine: AsyncEngine, org_id: str) -> None:
    catalog = await build("export", engine, org_id, rows=6)
    tree = wide_or([{"ids": [catalog.row_ids[i % 3]]} for i in range(450)] + [{"ids": ["c-none"]}])
    with count_statements(engine) as counted:
        assert await gql.data(COUNT, {"f": tree}) == {"dataRows": {"totalCount": 3}}
    assert counted.statements and all(s.count(" IN (") == 1 and " OR " not in s for s in counted.statements)


@pytest.fixture
async def roomy(settings: Settings) -> Any:
    """A server whose node budget lets through more than SQLite can evaluate in one expression (depth 1000)."""
    app = create_app(replace(settings, max_filter_nodes=5000))
    async with app.router.lifespan_context(app):
        key = (await create_key(app.state.engine, app.state.organization_id, "k")).secret
        async with http_client(app, key) as http:
            yield http


async def test_a_statement_beyond_the_engine_is_limit_exceeded_and_logged_short(
    roomy: Any, engine_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    http = roomy
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ranges = [{"createdAt": {"gte": (start + timedelta(days=i)).isoformat()}} for i in range(1200)]
    with caplog.at_level(logging.INFO):
        response = await http.post("/graphql", json={"query": COUNT, "variables": {"f": wide_or(ranges)}})
    body = response.json()
    if engine_name == "postgresql":  # evaluates it
        assert body == {"data": {"dataRows": {"totalCount": 0}}}
        return
    assert response.status_code == 200
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (
            "The request is too large for the database to evaluate (too many conditions or values in one statement); "
            "use fewer conditions or split the request.",
            "LIMIT_EXCEEDED",
        )
    ]
    logged = [caplog.handler.format(r) for r in caplog.records if r.name.startswith("catalog_export")]
    assert logged and max(len(line) for line in logged) < 5_000
    assert "(1200" not in logged[0] and "characters)" in logged[0]

"""Keyset pages: every order walks all rows once, inserts never shift a later page, cursors and sizes are checked."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from server.app import create_app
from server.auth.keys import create_key
from server.models import DataRow
from server.settings import Settings, replace
from tests.factory.filters import BASE, CatalogSpec, build_catalog
from tests.utils.client import GraphQLClient, http_client
from tests.utils.statements import count_statements, queries_sent

PAGE = """query($first: Int, $after: String, $order: DataRowOrder) {
  dataRows(first: $first, after: $after, orderBy: $order) { nodes { id } pageInfo { hasNextPage endCursor } } }"""
ORDERS = [
    {"field": f, "direction": d} for f in ("ID", "CREATED_AT", "UPDATED_AT", "GLOBAL_KEY") for d in ("ASC", "DESC")
]
SORT_KEYS = {"ID": None, "CREATED_AT": "created_at", "UPDATED_AT": "updated_at", "GLOBAL_KEY": "global_key"}


async def page(gql: GraphQLClient, order: dict[str, str], first: int, after: str | None = None) -> dict[str, Any]:
    return (await gql.data(PAGE, {"first": first, "after": after, "order": order}))["dataRows"]


def expected_order(catalog: CatalogSpec, order: dict[str, str]) -> list[str]:
    column = SORT_KEYS[order["field"]]
    rows = catalog.of(DataRow)
    key = (lambda r: (r[column] or "", r["id"])) if column else (lambda r: r["id"])
    return [r["id"] for r in sorted(rows, key=key, reverse=order["direction"] == "DESC")]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o['field']}-{o['direction']}")
async def test_pages_walk_every_row_once_in_order(gql: GraphQLClient, catalog: CatalogSpec, order: Any) -> None:
    seen: list[str] = []
    after = None
    while True:
        result = await page(gql, order, 25, after)
        seen += [n["id"] for n in result["nodes"]]
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert seen == expected_order(catalog, order)


def _earliest(order: dict[str, str], org_id: str, dataset_id: str) -> dict[str, Any]:
    """A new row that sorts before every existing row in this order (so inside page 1)."""
    ascending = order["direction"] == "ASC"
    when = BASE - timedelta(days=1) if ascending else BASE + timedelta(days=999)
    return {
        "id": "c" + ("0" if ascending else "f") * 24,
        "organization_id": org_id,
        "dataset_id": dataset_id,
        "global_key": None if ascending else "zz-last",  # rows without a key sort first
        "row_data": "https://example.com/new.jpg",
        "media_type": "IMAGE",
        "created_at": when,
        "updated_at": when,
    }


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o['field']}-{o['direction']}")
async def test_a_row_inserted_after_page_one_never_shifts_page_two(
    gql: GraphQLClient, engine: Any, org_id: str, catalog: CatalogSpec, order: Any
) -> None:
    first = await page(gql, order, 10)
    before = await page(gql, order, 10, first["pageInfo"]["endCursor"])
    async with engine.begin() as conn:
        await conn.execute(insert(DataRow.__table__).values(**_earliest(order, org_id, catalog.names["ds-a"])))
    after = await page(gql, order, 10, first["pageInfo"]["endCursor"])
    assert after == before
    assert (await page(gql, order, 1))["nodes"][0]["id"] == _earliest(order, org_id, "")["id"]


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("not-a-cursor", "is not a cursor this query returned"),
        ("WzEsMiwzXQ==", "is not a cursor this query returned"),
        ("WyJJRCBBU0MiLG51bGwsMV0=", "is not a cursor this query returned"),
    ],
)
async def test_bad_cursor_is_bad_user_input(gql: GraphQLClient, cursor: str, message: str) -> None:
    error = await gql.error(PAGE, {"first": 5, "after": cursor})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert message in error["message"]


async def test_cursor_from_another_order_is_refused(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    by_key = await page(gql, {"field": "GLOBAL_KEY", "direction": "ASC"}, 5)
    error = await gql.error(PAGE, {"first": 5, "after": by_key["pageInfo"]["endCursor"]})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert error["message"].startswith("`after` belongs to orderBy GLOBAL_KEY ASC, not ID ASC")


async def test_page_size_limits(gql: GraphQLClient) -> None:
    too_big = await gql.error("{ dataRows(first: 1001) { nodes { id } } }")
    assert too_big["extensions"] == {"code": "LIMIT_EXCEEDED", "field": "first"}
    assert "pages hold at most 1000 rows" in too_big["message"]
    negative = await gql.error("{ dataRows(first: -1) { nodes { id } } }")
    assert negative["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_total_count_costs_one_statement_and_only_when_selected(
    gql: GraphQLClient, engine: Any, catalog: CatalogSpec
) -> None:
    with count_statements(engine) as without:
        await gql.data("{ dataRows(first: 5) { nodes { id } } }")
    with count_statements(engine) as with_count:
        data = await gql.data("{ dataRows(first: 5) { totalCount nodes { id } } }")
    assert data["dataRows"]["totalCount"] == 120
    assert without.count == 1
    assert with_count.count == 2 and "count(" in with_count.statements[1]


@pytest.mark.parametrize(
    "query",
    [
        "{ dataRows(first: 5) { totalCount } }",
        "{ dataRows(first: 5) { __typename n: totalCount } }",
        "{ dataRows(first: 5) { ...C } } fragment C on DataRowConnection { totalCount }",
        "query($x: Boolean!) { dataRows(first: 5) { totalCount nodes @include(if: $x) { id } } }",
    ],
)
async def test_a_count_alone_reads_no_page(gql: GraphQLClient, engine: Any, catalog: CatalogSpec, query: str) -> None:
    with count_statements(engine) as counter:
        data = await gql.data(query, {"x": False} if "$x" in query else None)
    assert next(v for k, v in data["dataRows"].items() if k != "__typename") == 120
    assert counter.count == 1 and "count(" in counter.statements[0], counter.statements


async def test_a_page_sends_no_transaction(settings: Settings) -> None:
    """A page that ranks nothing reads in autocommit: PostgreSQL gets its statement and nothing around it (an app
    without an export worker, whose polls would be seen too)."""
    if settings.is_sqlite:
        pytest.skip("PostgreSQL's BEGIN and ROLLBACK")
    app = create_app(replace(settings, export_worker_mode="none"))
    async with app.router.lifespan_context(app):
        engine = app.state.engine
        await build_catalog(engine, app.state.organization_id)
        key = (await create_key(engine, app.state.organization_id, "pages")).secret
        async with http_client(app, key) as http:
            query = "{ dataRows(first: 5, filter: { not: { mediaTypes: [TEXT] } }) { nodes { id } } }"
            with queries_sent(engine) as sent, count_statements(engine) as counter:
                assert len((await GraphQLClient(http).data(query))["dataRows"]["nodes"]) == 5
                await asyncio.sleep(0)
    transactions = [q for q in sent if q != "SELECT 1"]  # pings of connections idle during the build aside
    assert transactions == [] and counter.count == 1, (sent, counter.statements)  # the page, nothing around it


async def test_a_count_alone_still_refuses_a_bad_cursor(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    error = await gql.error('{ dataRows(first: 5, after: "nope") { totalCount } }')
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}

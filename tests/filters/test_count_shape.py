"""The count-shaped compile (Scope.count): the rows of the page compile, its relation sets intersected."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import DataRow
from server.query.scope import Scope, request_where
from tests.factory.filters import CatalogSpec, describe_catalog
from tests.factory.tenants import make_tenant
from tests.filters.plans import RELATED

T = DataRow.__table__.c  # type: ignore[attr-defined]
BROAD = "metadata+annotation+project+not"
SETS_ONLY = "metadata, annotation and project sets only"
RUNS_ONLY = "model-run sets only"


def trees(c: CatalogSpec) -> dict[str, dict[str, Any]]:
    project, run = c.names["proj-a"], c.names["run-1"]
    return {
        BROAD: {
            "and": [{"metadata": {"name": "score", "gte": 2}}, {"annotation": {"name": "Car", "minCount": 2}}],
            "project": {"workflowStatus": ["IN_REVIEW", "DONE"]},
            "not": {"mediaTypes": ["TEXT"]},
        },
        SETS_ONLY: {
            "metadata": {"name": "weather", "in": ["sunny", "rainy"]},
            "and": [{"annotation": {"kind": "Radio", "maxCount": 1}}, {"project": {"projectId": project}}],
        },
        RUNS_ONLY: {"modelRunIds": [run], "and": [{"modelRunIds": [run, c.names["run-2"]]}]},
        "nested and, model runs, an or beside": {
            "and": [{"and": [{"modelRunIds": [run]}, {"project": {"projectId": project, "labeled": True}}]}],
            "or": [{"metadata": {"name": "weather", "eq": "sunny"}}, {"mediaTypes": ["VIDEO"]}],
        },
        "annotation ranges and a metadata absence": {
            "annotation": {"name": "Car", "minCount": 1, "maxCount": 2},
            "and": [
                {"metadata": {"name": "caption", "contains": "a"}},
                {"metadata": {"name": "captured_at", "exists": False}},
                {"annotation": {"kind": "Radio", "minCount": 0, "maxCount": 1}},  # a range with zero in it
            ],
        },
    }


NAMES = list(trees(describe_catalog(n_rows=0)))


async def scope_of(engine: AsyncEngine, org_id: str, tree: dict[str, Any]) -> Scope:
    async with engine.connect() as conn:
        return await request_where(conn, org_id, tree)


@pytest.mark.parametrize("name", NAMES)
async def test_count_is_the_number_of_rows_the_page_compile_admits(
    engine: AsyncEngine, org_id: str, catalog: CatalogSpec, name: str
) -> None:
    scope = await scope_of(engine, org_id, trees(catalog)[name])
    async with engine.connect() as conn:
        page_ids = set((await conn.execute(select(T.id).where(scope.where))).scalars())
        assert (await conn.execute(scope.count)).scalar_one() == len(page_ids)
    assert 0 < len(page_ids) < 120


@pytest.mark.parametrize(
    ("name", "intersects", "reads_datarow"), [(BROAD, 2, True), (SETS_ONLY, 2, False), (RUNS_ONLY, 1, False)]
)
async def test_count_intersects_the_relation_sets_and_reads_datarow_only_when_needed(
    engine: AsyncEngine, org_id: str, catalog: CatalogSpec, name: str, intersects: int, reads_datarow: bool
) -> None:
    """Other conditions (`not mediaTypes`) keep the datarow condition; sets alone, model runs too (resolved to the
    organization's own), are counted without it; the page compile never intersects."""
    scope = await scope_of(engine, org_id, trees(catalog)[name])
    sql = str(scope.count.compile(engine.sync_engine))
    assert sql.count("INTERSECT") == intersects and "ORDER BY 1" in sql
    assert bool(re.search(r"\bdatarow\.organization_id", sql)) == reads_datarow
    assert "INTERSECT" not in str(scope.where.compile(engine.sync_engine))


ONE_SET = {
    "one project set, rows in both projects": (
        {"project": {"workflowStatus": ["IN_REVIEW", "DONE"]}},
        "SELECT count(*) FROM projectdatarow WHERE organization_id = :org AND workflow_status IN ('IN_REVIEW', 'DONE')",
    ),
    "one annotation set, rows with several labels": (
        {"annotation": {"name": "Car"}},
        "SELECT count(*) FROM labelfeature WHERE organization_id = :org AND name = 'Car'",
    ),
}


@pytest.mark.parametrize("name", list(ONE_SET))
async def test_a_tree_of_one_set_counts_its_distinct_ids_without_datarow(
    engine: AsyncEngine, org_id: str, catalog: CatalogSpec, name: str
) -> None:
    """The set holds a row once per project or label (`entries`); the count is of rows, read without `datarow`."""
    tree, entries_sql = ONE_SET[name]
    scope = await scope_of(engine, org_id, tree)
    sql = str(scope.count.compile(engine.sync_engine))
    assert "count(DISTINCT" in sql and not re.search(r"\bdatarow\b", sql), sql
    async with engine.connect() as conn:
        page_ids = set((await conn.execute(select(T.id).where(scope.where))).scalars())
        entries = (await conn.execute(text(entries_sql), {"org": org_id})).scalar_one()
        assert (await conn.execute(scope.count)).scalar_one() == len(page_ids) < entries


@pytest.mark.parametrize("both", [False, True])
async def test_another_organizations_model_runs_match_no_row(
    engine: AsyncEngine, org_id: str, catalog: CatalogSpec, both: bool
) -> None:
    """Model runs are resolved to the asking organization's own: its count (one set, or two intersected, read
    without `datarow`) and its pages find none of the runs' rows."""
    other = await make_tenant(engine, "other")
    tree = trees(catalog)[RUNS_ONLY] if both else {"modelRunIds": [catalog.names["run-1"]]}
    theirs, ours = [await scope_of(engine, org, tree) for org in (other.organization_id, org_id)]
    async with engine.connect() as conn:
        assert (await conn.execute(ours.count)).scalar_one() > 0
        assert (await conn.execute(theirs.count)).scalar_one() == 0
        assert (await conn.execute(select(T.id).where(theirs.where))).all() == []


@pytest.mark.parametrize("name", NAMES)
async def test_sqlite_merges_the_sets_read_from_their_indexes(
    engine_name: str, engine: AsyncEngine, org_id: str, catalog: CatalogSpec, name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
    scope = await scope_of(engine, org_id, trees(catalog)[name])
    async with engine.connect() as conn:
        sql = str(scope.count.compile(conn.sync_connection, compile_kwargs={"literal_binds": True}))
        plan = [r[3] for r in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()]
    assert "MERGE (INTERSECT)" in plan, plan
    assert not any(s.startswith("INTERSECT USING TEMP B-TREE") for s in plan), plan
    assert [s for s in plan if s.startswith("SCAN") and s.split()[1] in RELATED] == [], plan

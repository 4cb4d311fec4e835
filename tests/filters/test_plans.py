"""EXPLAIN QUERY PLAN: every leaf family is served by an index; no filter reads JSON text or scans a related table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from server.loading.pages import load_page
from server.loading.plan import RowPlan
from server.models import DataRow
from server.query.scope import for_every_page, request_where
from tests.factory.filters import CatalogSpec, build_catalog, describe_catalog
from tests.filters.plans import RELATED

JSON_COLUMNS = ("value_json", "annotations", "workflow_history", "json_")


def trees(c: CatalogSpec) -> dict[str, dict[str, Any]]:
    project, run = c.names["proj-a"], c.names["run-1"]
    return {
        "metadata+annotation": {"metadata": {"name": "score", "gt": 2}, "annotation": {"name": "Car", "minCount": 2}},
        "enum": {"metadata": {"name": "weather", "in": ["sunny", "rainy"]}},
        "datetime metadata": {"metadata": {"name": "captured_at", "lt": "2024-01-10T00:00:00Z"}},
        "string contains": {"metadata": {"name": "caption", "contains": "beta"}},
        "not exists": {"not": {"metadata": {"name": "weather", "exists": True}}},
        "feature in project": {"annotation": {"featureSchemaId": c.names["Car"], "projectId": project}},
        "kind in run": {"annotation": {"kind": "Radio", "modelRunId": run, "source": "PREDICTION"}},
        "run only": {"annotation": {"modelRunId": run}},
        "project state": {
            "project": {
                "projectId": project,
                "workflowStatus": ["DONE"],
                "labeled": True,
                "labelCreatedAt": {"gte": "2024-01-02T00:00:00Z"},
            }
        },
        "status anywhere": {"project": {"workflowStatus": ["IN_REVIEW"]}},
        "batches": {"project": {"batchIds": [c.names["proj-a-batch1"]]}},
        "model runs": {"modelRunIds": [run]},
        "created": {"createdAt": {"gte": "2024-01-02T00:00:00Z"}},
        "keys": {"globalKeys": ["gk-0001"], "externalIds": ["ext-1"]},
    }


async def plan_of(conn: Any, org_id: str, tree: dict[str, Any], form: str = "where") -> tuple[str, list[str]]:
    """`form` is the Scope's `where` (relation sets as `IN`) or `probe` (the trees as correlated `EXISTS`)."""
    scope = await request_where(conn, org_id, tree)
    where = scope.probe.probes if form == "probe" and scope.probe is not None else scope.where
    stmt = select(func.count()).select_from(DataRow.__table__).where(where)
    sql = str(stmt.compile(conn.sync_connection, compile_kwargs={"literal_binds": True}))
    rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()
    return sql, [r[3] for r in rows]


@pytest.mark.parametrize("form", ["where", "probe"])
@pytest.mark.parametrize(
    "name",
    list(trees(describe_catalog(n_rows=0))),
)
async def test_filter_uses_indexes_and_never_json(
    engine_name: str, engine: Any, org_id: str, catalog: CatalogSpec, name: str, form: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans are measured in make bench")
    async with engine.connect() as conn:
        sql, plan = await plan_of(conn, org_id, trees(catalog)[name], form)
    assert not any(column in sql for column in JSON_COLUMNS), sql
    scans = [step for step in plan if step.startswith("SCAN") and step.split()[1] in RELATED]
    assert scans == [], plan
    assert any("INDEX" in step for step in plan), plan


async def _vm_steps(conn: Any, read: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
    """SQLite virtual-machine instructions run by `read` on `conn` (a count, not a time: the same every run)."""
    driver = (await conn.get_raw_connection()).driver_connection
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    await driver.set_progress_handler(tick, 1)
    try:
        result = await read()
    finally:
        await driver.set_progress_handler(None, 1)
    return steps, result


async def test_a_first_page_probes_instead_of_building_the_sets(engine_name: str, engine: Any, org_id: str) -> None:
    """3,000 rows, no statistics: the first page of 1 probes a few rows of a 1,000-row window, where the sets cost
    an entry per matching row (each probe looks its row up, whatever SQLite would guess without statistics)."""
    if engine_name != "sqlite":
        pytest.skip("SQLite builds IN sets before the first row; PostgreSQL plans a semi-join itself")
    await build_catalog(engine, org_id, 3000)
    tree = {"metadata": {"name": "score", "gte": 0}, "annotation": {"name": "Car"}}
    async with engine.connect() as conn:
        scope = await request_where(conn, org_id, tree)
        sets, by_sets = await _vm_steps(conn, lambda: load_page(conn, scope.where, RowPlan(), 1))
        probes, by_probes = await _vm_steps(conn, lambda: load_page(conn, scope.where, RowPlan(), 1, probe=scope.probe))
    assert [r.id for r in by_probes.rows] == [r.id for r in by_sets.rows] and by_probes.has_next
    assert probes * 3 < sets, (probes, sets)


@pytest.mark.parametrize(("matching", "probes"), [(1, False), (3, True)])
async def test_an_export_probes_only_when_a_page_fits_in_a_window(
    engine: Any, org_id: str, catalog: CatalogSpec, matching: int, probes: bool
) -> None:
    """120 rows, 2,000-row pages, 100,000-row windows: a page is expected within a window from 3 matching rows on."""
    async with engine.connect() as conn:
        scope = await request_where(conn, org_id, {"annotation": {"name": "Car"}})
        kept = await for_every_page(conn, scope, matching, 2000)
    assert scope.probe is not None
    assert (kept.probe is scope.probe) is probes and kept.where is scope.where

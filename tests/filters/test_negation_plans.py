"""Plans of every relation leaf under `not` and `or`, and of the leaves that exclude a set themselves (metadata
`exists: false`, annotation `minCount: 0`): never a whole set tested row by row. On PostgreSQL, an `IN (set)` that
is negated or ORed stays a subplan, hashed only when the planner expects the set to fit in `work_mem` and otherwise
rescanned for every row (minutes for 400k ids). A `work_mem` of 64 kB makes this small catalog's sets too big to
hash, as a large catalog's are with the default; the results themselves are checked against the complement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import ClauseElement, Executable, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from server.models import DataRow
from server.query.scope import request_where
from tests.factory.filters import CatalogSpec, build_catalog, describe_catalog
from tests.filters.plans import RELATED
from tests.utils.client import GraphQLClient

T = DataRow.__table__.c  # type: ignore[attr-defined]
ROWS = 3000


def relation_leaves(c: CatalogSpec) -> dict[str, dict[str, Any]]:
    """One tree per way a relation leaf compiles (a plain set, a grouped set, a set of rows to exclude)."""
    project, run = c.names["proj-a"], c.names["run-1"]
    return {
        "annotation": {"annotation": {"name": "Car"}},
        "annotation minCount 2": {"annotation": {"name": "Car", "minCount": 2}},
        "annotation maxCount only": {"annotation": {"name": "Car", "minCount": 0, "maxCount": 1}},
        "annotation in project": {"annotation": {"featureSchemaId": c.names["Car"], "projectId": project}},
        "prediction in run": {"annotation": {"modelRunId": run, "source": "PREDICTION"}},
        "metadata number": {"metadata": {"name": "score", "gt": 1}},
        "metadata enum": {"metadata": {"name": "weather", "in": ["sunny", "rainy"]}},
        "metadata contains": {"metadata": {"name": "caption", "contains": "a"}},
        "metadata exists": {"metadata": {"name": "weather", "exists": True}},
        "metadata absent": {"metadata": {"name": "weather", "exists": False}},
        "project": {"project": {"projectId": project}},
        "project labeled": {"project": {"labeled": True}},
        "project unlabeled": {"project": {"labeled": False}},
        "project status": {"project": {"workflowStatus": ["DONE", "IN_REVIEW"]}},
        "batches": {"project": {"batchIds": [c.names["proj-a-batch1"], c.names["proj-b-batch2"]]}},
        "model runs": {"modelRunIds": [run]},
    }


def _names() -> list[str]:
    return list(relation_leaves(describe_catalog(n_rows=0)))


def shapes(c: CatalogSpec, name: str) -> dict[str, dict[str, Any]]:
    """The leaf negated, ORed with another relation leaf, and both at once."""
    leaf, other = relation_leaves(c)[name], {"annotation": {"name": "Person"}}
    return {
        "leaf": leaf,
        "not": {"not": leaf},
        "or": {"or": [leaf, other]},
        "not in or": {"or": [{"not": leaf}, other]},
        "and not": {"and": [other, {"not": leaf}]},
    }


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain_postgresql(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


@compiles(Explain, "sqlite")
def _explain_sqlite(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN QUERY PLAN " + compiler.process(element.statement, **kw)


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def rescanned_sets(plan: dict[str, Any]) -> list[str]:
    """Subplans that are neither hashed (built once) nor correlated with the data row (an index probe per row): a
    whole set read again for every row."""
    hashed = set(re.findall(r"hashed (SubPlan \d+)", orjson.dumps(plan).decode()))
    return [
        node["Subplan Name"]
        for node in _nodes(plan)
        if node.get("Parent Relationship") == "SubPlan"
        and node["Subplan Name"] not in hashed
        and "datarow.id" not in orjson.dumps(node).decode()
    ]


def statements(where: Any) -> dict[str, Any]:
    """The count and the first page of 100 in key order, as the API reads them."""
    page = select(T.id).where(where).order_by(T.organization_id, T.id).limit(101)
    return {"count": select(func.count()).select_from(DataRow.__table__).where(where), "page": page}


async def plans(conn: AsyncConnection, org_id: str, tree: dict[str, Any]) -> dict[str, Any]:
    scope = await request_where(conn, org_id, tree)
    found = {"count statement": (await conn.execute(Explain(scope.count))).all()}
    for what, stmt in statements(scope.where).items():
        found[what] = (await conn.execute(Explain(stmt))).all()
    return found


# The leaves that exclude a set themselves: their plain form is the anti-join, their `not` a semi-join or a probe.
EXCLUDING = ("annotation maxCount only", "metadata absent")


def complement(shape: str, excluding: bool) -> bool:
    """Whether the shape is one set's complement among the organization's rows (its count a difference of counts)."""
    return shape == ("leaf" if excluding else "not")


def violations(engine_name: str, shape: str, excluding: bool, rows: list[Any], what: str = "page") -> list[str]:
    if engine_name == "sqlite":
        steps = [r[3] for r in rows]
        return [s for s in steps if s.startswith("SCAN") and s.split()[1] in RELATED]
    plan = rows[0][0][0]["Plan"]
    found = rescanned_sets(plan)
    counted_apart = what == "count statement" and complement(shape, excluding)
    if complement(shape, excluding) and not counted_apart and "Anti" not in {n.get("Join Type") for n in _nodes(plan)}:
        found.append("no anti-join")
    return found


def _reads_datarow(node: dict[str, Any]) -> bool:
    return any(n.get("Relation Name") == "datarow" for n in _nodes(node))


def rows_tested_against_a_set(engine_name: str, rows: list[Any]) -> list[str]:
    """Plan steps that test data rows against a relation set: SQLite's `IN` list; on PostgreSQL, a join or a
    subplan with datarow under it."""
    if engine_name == "sqlite":
        return [r[3] for r in rows if r[3].startswith("LIST SUBQUERY")]
    nodes = list(_nodes(rows[0][0][0]["Plan"]))
    return [
        n["Node Type"]
        for n in nodes
        if ("Join Type" in n or n.get("Parent Relationship") == "SubPlan") and _reads_datarow(n)
    ]


async def test_negated_and_ored_relation_leaves_never_rescan_a_set(
    engine_name: str, engine: AsyncEngine, org_id: str
) -> None:
    """Every relation leaf in every shape, as a count and as a first page: on PostgreSQL no subplan that is neither
    hashed nor correlated, and an anti-join for a negation; on SQLite no scan of a related table."""
    spec = await build_catalog(engine, org_id, ROWS)
    failures = {}
    async with engine.connect() as conn:
        if engine_name == "postgresql":
            await conn.execute(text("ANALYZE"))
            await conn.execute(text("SET work_mem = '64kB'"))
        for name in relation_leaves(spec):
            for shape, tree in shapes(spec, name).items():
                for what, rows in (await plans(conn, org_id, tree)).items():
                    found = violations(engine_name, shape, name in EXCLUDING, rows, what)
                    if found:
                        failures[(name, shape, what)] = (found, rows)
    first = next(iter(failures.values()), ([], []))[1]
    assert not failures, "\n".join([*(f"{' / '.join(k)}: {found}" for k, (found, _) in failures.items()), str(first)])


async def test_a_set_complement_is_counted_as_a_difference_without_testing_rows(
    engine_name: str, engine: AsyncEngine, org_id: str
) -> None:
    """The count of a negated relation leaf, or of a leaf that excludes a set, is the organization's row count less
    the set's distinct ids: no data row is tested against the set (that test builds the set and probes it per row,
    seconds at a million rows), and no set is read twice."""
    spec = await build_catalog(engine, org_id, ROWS)
    failures = {}
    async with engine.connect() as conn:
        if engine_name == "postgresql":
            await conn.execute(text("ANALYZE"))
        for name in relation_leaves(spec):
            tree = shapes(spec, name)["leaf" if name in EXCLUDING else "not"]
            rows = (await conn.execute(Explain((await request_where(conn, org_id, tree)).count))).all()
            found = rows_tested_against_a_set(engine_name, rows)
            if found:
                failures[name] = (found, rows)
    assert not failures, "\n".join(f"{name}: {found} in {rows}" for name, (found, rows) in failures.items())


QUERY = "query($f: DataRowFilter) { dataRows(filter: $f, first: 1000) { totalCount nodes { id } } }"


async def _ids(gql: GraphQLClient, tree: dict[str, Any]) -> tuple[set[str], int]:
    page = (await gql.data(QUERY, {"f": tree}))["dataRows"]
    return {n["id"] for n in page["nodes"]}, page["totalCount"]


@pytest.mark.parametrize("name", _names())
async def test_a_negated_relation_leaf_admits_exactly_the_other_rows(
    gql: GraphQLClient, catalog: CatalogSpec, name: str
) -> None:
    every = set(catalog.ids(DataRow))
    leaf = relation_leaves(catalog)[name]
    (matching, counted), (others, others_counted) = await _ids(gql, leaf), await _ids(gql, {"not": leaf})
    assert 0 < len(matching) < len(every), name
    assert others == every - matching and (counted, others_counted) == (len(matching), len(others))

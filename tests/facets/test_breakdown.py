"""dataRowFacets equals SQL GROUP BY counts over the rows dataRows returns, for random filter trees, on both engines:
from the facet arrays where they cover the tree, from SQL otherwise, and with rows written since the arrays' build."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.facets.breakdown import KINDS, _chunk_arrays
from server.facets.build import rebuild_dirty
from server.facets.marks import LIVE, built_chunks
from server.models import DataRow, Label, LabelFeature, MetadataValue, ModelRunDataRow, ProjectDataRow
from server.settings import Settings
from tests.factory.filters import describe_catalog
from tests.filters.strategies import trees
from tests.utils.driven import Driven, driven_catalog, engine_url
from tests.utils.postgres import ENGINES

SPEC = describe_catalog()
FACETS = """query($f: DataRowFilter, $s: ID) { dataRowFacets(filter: $f, slice: $s) {
  totalCount fromFacetArrays
  datasets { id count } mediaTypes { mediaType count }
  projects { id count labeledCount statuses { status count } }
  modelRuns { id count } annotationClasses { featureSchemaId count } metadataOptions { optionId count } } }"""
IDS = "query($f: DataRowFilter) { dataRows(filter: $f, first: 1000) { nodes { id } pageInfo { hasNextPage } } }"
D, P, L = DataRow.__table__.c, ProjectDataRow.__table__.c, Label.__table__.c  # type: ignore[attr-defined]
M, F, V = ModelRunDataRow.__table__.c, LabelFeature.__table__.c, MetadataValue.__table__.c  # type: ignore[attr-defined]


@pytest.fixture(scope="module", params=ENGINES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driven]:
    tmp: Path = tmp_path_factory.mktemp("facets")
    url = engine_url(request, tmp)
    with driven_catalog(Settings(database_url=url, export_dir=tmp / "exports"), SPEC) as driven:
        yield driven


def answered(facets: dict[str, Any]) -> dict[str, Any]:
    """dataRowFacets as plain counters (what the reference computes)."""
    return {
        "total": facets["totalCount"],
        "datasets": Counter({d["id"]: d["count"] for d in facets["datasets"]}),
        "media": Counter({m["mediaType"]: m["count"] for m in facets["mediaTypes"]}),
        "statuses": Counter({(p["id"], s["status"]): s["count"] for p in facets["projects"] for s in p["statuses"]}),
        "members": Counter({p["id"]: p["count"] for p in facets["projects"] if p["count"]}),
        "labeled": Counter({p["id"]: p["labeledCount"] for p in facets["projects"] if p["labeledCount"]}),
        "runs": Counter({r["id"]: r["count"] for r in facets["modelRuns"]}),
        "features": Counter({a["featureSchemaId"]: a["count"] for a in facets["annotationClasses"]}),
        "options": Counter({o["optionId"]: o["count"] for o in facets["metadataOptions"]}),
    }


async def reference(engine: AsyncEngine, ids: list[str]) -> dict[str, Any]:
    """The same counts by plain GROUP BY over the given rows."""

    async def grouped(*columns: Any, where: Any, count: Any = None) -> Counter[Any]:
        stmt = select(*columns, count if count is not None else func.count()).where(where).group_by(*columns)
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return Counter({(r[0] if len(r) == 2 else tuple(r[:-1])): r[-1] for r in rows})

    datasets = await grouped(D.dataset_id, where=D.id.in_(ids))
    statuses = await grouped(P.project_id, P.workflow_status, where=P.data_row_id.in_(ids))
    members: Counter[str] = Counter()
    for (project, _), n in statuses.items():
        members[project] += n
    distinct = func.count(L.data_row_id.distinct())
    return {
        "total": len(ids),
        "datasets": datasets,
        "media": await grouped(D.media_type, where=D.id.in_(ids)),
        "statuses": statuses,
        "members": members,
        "labeled": await grouped(
            L.project_id, where=L.data_row_id.in_(ids) & L.project_id.is_not(None), count=distinct
        ),
        "runs": await grouped(M.model_run_id, where=M.data_row_id.in_(ids)),
        "features": await grouped(
            F.feature_schema_id,
            where=F.data_row_id.in_(ids) & (F.count > 0),
            count=func.count(F.data_row_id.distinct()),
        ),
        "options": await grouped(
            V.option_id,
            where=V.data_row_id.in_(ids) & V.option_id.is_not(None),
            count=func.count(V.data_row_id.distinct()),
        ),
    }


async def compare(world: Driven, tree: dict[str, Any] | None) -> dict[str, Any]:
    page = (await world.gql.data(IDS, {"f": tree}))["dataRows"]
    assert page["pageInfo"]["hasNextPage"] is False
    facets = (await world.gql.data(FACETS, {"f": tree}))["dataRowFacets"]
    assert answered(facets) == await reference(world.engine, [n["id"] for n in page["nodes"]])
    return facets


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(SPEC))
def test_facets_equal_group_by_counts_of_the_matching_rows(world: Driven, tree: dict[str, Any]) -> None:
    world.run(compare(world, tree))


def test_every_row_and_covered_trees_come_from_the_arrays(world: Driven) -> None:
    everything = world.run(compare(world, None))
    assert everything["fromFacetArrays"] is True and everything["totalCount"] == 120
    assert sum(d["count"] for d in everything["datasets"]) == 120
    assert {p["id"] for p in everything["projects"]} == {p["id"] for p in SPEC.rows["project"]}
    assert {r["id"] for r in everything["modelRuns"]} == {r["id"] for r in SPEC.rows["modelrun"]}
    covered = world.run(compare(world, {"mediaTypes": ["IMAGE"], "project": {"workflowStatus": ["DONE"]}}))
    assert covered["fromFacetArrays"] is True and 0 < covered["totalCount"] < 120
    by_ids = world.run(compare(world, {"ids": [r["id"] for r in SPEC.rows["datarow"][:5]]}))
    assert by_ids["fromFacetArrays"] is False and by_ids["totalCount"] == 5


def test_rows_written_after_the_build_are_counted(world: Driven) -> None:
    """A write marks its block: the arrays answer for the rest, SQL for the marked rows, the counts stay exact."""
    first = SPEC.rows["datarow"][0]["id"]
    other = next(d["id"] for d in SPEC.rows["dataset"] if d["id"] != SPEC.rows["datarow"][0]["dataset_id"])

    async def move() -> None:
        async with world.engine.begin() as conn:
            await conn.execute(update(DataRow.__table__).where(D.id == first).values(dataset_id=other))

    world.run(move())
    try:
        trees = (
            None,
            {"mediaTypes": ["IMAGE", "VIDEO", "TEXT"]},
            {"or": [{"annotation": {"name": "Car", "minCount": 1}}, {"project": {"workflowStatus": ["DONE"]}}]},
            {"not": {"datasetIds": [other]}, "metadata": {"name": "weather", "exists": True}},
        )
        for tree in trees:
            assert world.run(compare(world, tree))["fromFacetArrays"] is True, tree
    finally:
        world.run(rebuild_dirty(world.engine))


def test_unknown_slice_and_bad_filter_are_coded_errors(world: Driven) -> None:
    error = world.run(world.gql.error(FACETS, {"s": "nope"}))
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = world.run(world.gql.error(FACETS, {"f": {"metadata": {"name": "no such schema", "eq": "x"}}}))
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["field"] == "filter.metadata.name"


# Each field of dataRowFacets with its selection in FACETS.
FIELDS = {
    "datasets": "datasets { id count }",
    "mediaTypes": "mediaTypes { mediaType count }",
    "projects": "projects { id count labeledCount statuses { status count } }",
    "modelRuns": "modelRuns { id count }",
    "annotationClasses": "annotationClasses { featureSchemaId count }",
    "metadataOptions": "metadataOptions { optionId count }",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(SPEC), fields=st.lists(st.sampled_from(sorted(FIELDS)), unique=True))
def test_a_selection_of_some_facets_answers_them_as_the_whole(
    world: Driven, tree: dict[str, Any], fields: list[str]
) -> None:
    """Only the arrays of the facets asked for are read: the facets asked for are the same as in the whole."""
    some = "query($f: DataRowFilter) { dataRowFacets(filter: $f) { totalCount fromFacetArrays %s } }"
    part = world.run(world.gql.data(some % " ".join(FIELDS[f] for f in fields), {"f": tree}))["dataRowFacets"]
    whole = world.run(world.gql.data(FACETS, {"f": tree}))["dataRowFacets"]
    assert part == {k: whole[k] for k in ("totalCount", "fromFacetArrays", *fields)}


def test_the_arrays_read_are_those_of_the_kinds_asked_for(world: Driven) -> None:
    async def read(kinds: frozenset[str]) -> set[str]:
        async with world.engine.connect() as conn:
            built = await built_chunks(conn)  # the catalog's one organization
            org, chunks = built[0][0], [chunk for _, chunk in built]
            arrays = await _chunk_arrays(conn, org, frozenset({LIVE}), chunks, kinds)
        return {facet for by_facet in arrays.values() for facet in by_facet}

    every = world.run(read(frozenset(KINDS)))
    assert {facet.split(":", 1)[0] for facet in every} == {*KINDS, "live"}
    datasets = world.run(read(frozenset({"dataset"})))
    assert datasets == {f for f in every if f.startswith("dataset:") or f == LIVE}
    assert world.run(read(frozenset())) == {LIVE}

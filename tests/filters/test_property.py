"""Property: for random filter trees, the ids dataRows returns (and its totalCount) equal a plain-Python evaluation
over the export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.loading import pages
from server.models import DataRow, LabelFeature, MetadataValue, ProjectDataRow
from server.settings import Settings
from tests.factory.filters import describe_catalog
from tests.filters.reference import matches
from tests.filters.strategies import trees
from tests.utils.client import EVERYTHING, GraphQLClient
from tests.utils.driven import Driven, driven_catalog, engine_url
from tests.utils.postgres import ENGINES

SPEC = describe_catalog()
EXPORT = "mutation($f: DataRowFilter, $p: ExportParams) { exportDataRows(filter: $f, params: $p) { id } }"
IDS = (
    "query($f: DataRowFilter) { dataRows(filter: $f, first: 1000) { "
    "totalCount nodes { id } pageInfo { hasNextPage } } }"
)

PAGE = (
    "query($f: DataRowFilter, $a: String, $o: DataRowOrder) { "
    "dataRows(filter: $f, first: 7, after: $a, orderBy: $o) { "
    "nodes { id } pageInfo { hasNextPage endCursor } } }"
)

SORT_KEYS = {
    "ID": lambda line: line["data_row"]["id"],
    "CREATED_AT": lambda line: (line["data_row"]["details"]["created_at"], line["data_row"]["id"]),
    "UPDATED_AT": lambda line: (line["data_row"]["details"]["updated_at"], line["data_row"]["id"]),
}


@dataclass(repr=False)
class World(Driven):
    lines: list[dict[str, Any]] = field(default_factory=list)


async def export_lines(gql: GraphQLClient, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    task = (await gql.data(EXPORT, {"f": filter, "p": EVERYTHING}))["exportDataRows"]
    done = await gql.wait_export(task["id"], "status ndjson")
    assert done["status"] == "COMPLETE", done
    return [orjson.loads(line) for line in done["ndjson"].splitlines()]


async def filtered_ids(gql: GraphQLClient, filter: dict[str, Any]) -> set[str]:
    page = (await gql.data(IDS, {"f": filter}))["dataRows"]
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["totalCount"] == len(page["nodes"])  # the count-shaped compile admits the page compile's rows
    return {n["id"] for n in page["nodes"]}


@pytest.fixture(scope="module", params=ENGINES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One catalog per engine for every example: a module-scoped app driven by its own event loop."""
    tmp: Path = tmp_path_factory.mktemp("property")
    url = engine_url(request, tmp)
    with driven_catalog(Settings(database_url=url, export_dir=tmp / "exports"), SPEC) as driven:
        yield World(driven.runner, driven.gql, driven.engine, driven.run(export_lines(driven.gql)))


def test_catalog_has_every_family(world: World) -> None:
    async def counts() -> list[int]:
        async with world.engine.connect() as conn:
            tables = (DataRow, MetadataValue, LabelFeature, ProjectDataRow)
            return [(await conn.execute(select(func.count()).select_from(t.__table__))).scalar_one() for t in tables]

    rows, values, features, members = world.run(counts())
    assert rows == len(world.lines) == 120
    assert values > 200 and features > 200 and members > 100


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(SPEC))
def test_data_rows_ids_equal_python_evaluation_of_the_export(world: World, tree: dict[str, Any]) -> None:
    expected = {line["data_row"]["id"] for line in world.lines if matches(line, tree, SPEC)}
    assert world.run(filtered_ids(world.gql, tree)) == expected


async def paged_ids(gql: GraphQLClient, filter: dict[str, Any], order: dict[str, str]) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = (await gql.data(PAGE, {"f": filter, "a": after, "o": order}))["dataRows"]
        ids += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=trees(SPEC),
    per_row=st.sampled_from([1, 2]),
    field=st.sampled_from(sorted(SORT_KEYS)),
    direction=st.sampled_from(["ASC", "DESC"]),
)
def test_pages_across_the_probe_window_equal_python_evaluation(
    world: World, tree: dict[str, Any], per_row: int, field: str, direction: str
) -> None:
    """Windows of 8 or 16 rows for pages of 7: rows are tested by probes inside a window, by the sets beyond it, and
    the pages still hold every matching row once, in the asked order."""
    matching = [line for line in world.lines if matches(line, tree, SPEC)]
    expected = [line["data_row"]["id"] for line in sorted(matching, key=SORT_KEYS[field], reverse=direction == "DESC")]
    default, pages.PROBE_WINDOW_PER_ROW = pages.PROBE_WINDOW_PER_ROW, per_row
    try:
        assert world.run(paged_ids(world.gql, tree, {"field": field, "direction": direction})) == expected
    finally:
        pages.PROBE_WINDOW_PER_ROW = default


def test_export_with_a_combined_filter_writes_exactly_the_matching_rows(world: World) -> None:
    tree = {
        "metadata": {"name": "score", "gte": 1},
        "or": [{"annotation": {"name": "Car", "minCount": 2}}, {"project": {"workflowStatus": ["DONE"]}}],
    }
    expected = {line["data_row"]["id"] for line in world.lines if matches(line, tree, SPEC)}
    exported = world.run(export_lines(world.gql, tree))
    assert {line["data_row"]["id"] for line in exported} == expected
    assert 0 < len(expected) < 120

"""Ids the organization does not hold (unknown, another organization's) match no row, as SQL's IN does, whether a count
comes from the facet arrays or from SQL, at any place in the tree; an export of them is an empty COMPLETE export and
the worker goes on with the next. (tests/facets/test_counts.py compares both paths over random trees.)"""

from __future__ import annotations

from typing import Any

import pytest

from server.facets.build import rebuild_dirty
from server.settings import Settings
from tests.factory import build
from tests.utils.client import EVERYTHING, EXPORT_FIELDS
from tests.utils.export_tasks import running, start_export

NOBODY = "c" + "0" * 24
COUNT = "query($f: DataRowFilter) { dataRows(filter: $f, first: 1) { totalCount } }"
# (filter, which share of the 6 rows it admits)
FILTERS: list[tuple[dict[str, Any], int]] = [
    ({"modelRunIds": [NOBODY]}, 0),
    ({"datasetIds": [NOBODY]}, 0),
    ({"project": {"batchIds": [NOBODY]}}, 0),
    ({"project": {"projectId": NOBODY}}, 0),
    ({"or": [{"modelRunIds": [NOBODY]}, {"datasetIds": [NOBODY]}]}, 0),
    ({"not": {"modelRunIds": [NOBODY]}}, 6),
    ({"and": [{"not": {"modelRunIds": [NOBODY]}}, {"mediaTypes": ["IMAGE", "VIDEO", "TEXT"]}]}, 6),
]


@pytest.mark.parametrize(("filter", "rows"), FILTERS)
async def test_unknown_ids_count_no_row_from_the_arrays_and_from_sql(
    settings: Settings, filter: dict[str, Any], rows: int
) -> None:
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=6)
        from_sql = await gql.data(COUNT, {"f": filter})
        await rebuild_dirty(app.state.engine)
        assert await gql.data(COUNT, {"f": filter}) == from_sql == {"dataRows": {"totalCount": rows}}


async def test_an_export_of_unknown_ids_is_empty_and_the_next_export_runs(settings: Settings) -> None:
    async with running(settings) as (app, gql, _):
        await build("export", app.state.engine, app.state.organization_id, rows=6)
        await rebuild_dirty(app.state.engine)
        empty = await gql.wait_export((await start_export(gql, EVERYTHING, filter=FILTERS[4][0]))["id"], EXPORT_FIELDS)
        after = await gql.wait_export((await start_export(gql, EVERYTHING))["id"], EXPORT_FIELDS)
    assert (empty["status"], empty["rowCount"], empty["ndjson"]) == ("COMPLETE", 0, "")
    assert (after["status"], after["rowCount"]) == ("COMPLETE", 6)

"""Counts from the facet arrays equal the SQL counts, for random trees of the leaves that have an array form: after
the arrays are built, and after writes to rows of a few blocks left the arrays stale there (those blocks' rows are
counted from SQL until rebuilt, the rest from the arrays)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.db import create_engine
from server.facets.build import rebuild_dirty
from server.facets.marks import dirty_blocks
from server.models import DataRow, Dataset, ModelRun, ModelRunDataRow
from server.models.facets import BLOCK_BITS
from server.orgs import ensure_organization
from server.query.scope import request_where
from server.schema_check import create_all
from server.settings import Settings
from tests.factory.filters import CatalogSpec, describe_catalog, insert_catalog
from tests.filters.strategies import UNKNOWN_IDS, _metadata, _some, one_id, some_ids, trees
from tests.utils.facet_marks import STALE_WRITES, spread

SPEC = describe_catalog()
MEDIA, STATUSES = SPEC.vocabulary.media, SPEC.vocabulary.statuses
FOREIGN = describe_catalog(n_rows=24, seed=8)  # another organization's catalog, beside SPEC's
GONE_RUN = "c" + "d" * 24  # a model run of SPEC's organization, deleted (with its rows) after the arrays were built
STRANGERS = (
    *UNKNOWN_IDS,
    GONE_RUN,
    *(FOREIGN.names[n] for n in ("run-1", "ds-a", "proj-a", "proj-a-batch1")),
    *FOREIGN.ids(DataRow)[:2],
)


def _has_array_form(condition: dict[str, Any]) -> bool:
    """Strings have no array form but for exists."""
    caption = condition.get("name") == "caption" or condition.get("schemaId") == SPEC.names["caption"]
    return "exists" in condition or not caption


def _given(**keys: Any) -> dict[str, Any]:
    return {k: v for k, v in keys.items() if v is not None}


def _covered_leaves(spec: CatalogSpec) -> st.SearchStrategy[dict[str, Any]]:
    projects = [spec.names["proj-a"], spec.names["proj-b"]]
    batches = [v for k, v in spec.names.items() if "-batch" in k]  # of both projects: most pairs match no row
    counts = st.integers(0, 3)
    families = {
        "mediaTypes": _some([*MEDIA, "AUDIO"]),
        "datasetIds": some_ids(spec.ids(Dataset), STRANGERS),
        "modelRunIds": some_ids([spec.names["run-1"], spec.names["run-2"]], STRANGERS),
        "metadata": _metadata(spec).filter(_has_array_form),
        "annotation": st.builds(
            lambda ref, low, high: {
                **ref,
                "minCount": min(low, high),
                **({"maxCount": max(low, high)} if high else {}),
            },
            st.sampled_from([{"name": "Car"}, {"name": "Person"}, {"featureSchemaId": spec.names["Car"]}]),
            counts,
            counts,
        ),
        "project": st.one_of(
            st.builds(lambda p: {"projectId": p}, one_id(projects, STRANGERS)),
            st.builds(lambda s: {"workflowStatus": s}, _some(list(STATUSES))),
            st.builds(
                lambda p, s: {"projectId": p, "workflowStatus": s}, one_id(projects, STRANGERS), _some(list(STATUSES))
            ),
            st.builds(
                lambda p, s, labeled, batches: {
                    "projectId": p,
                    **_given(workflowStatus=s, labeled=labeled, batchIds=batches),
                },
                one_id(projects, STRANGERS),
                st.one_of(st.none(), _some(list(STATUSES))),
                st.one_of(st.none(), st.booleans()),
                st.one_of(st.none(), some_ids(batches, STRANGERS)),
            ),
            st.builds(
                lambda s, labeled: {"labeled": labeled, **_given(workflowStatus=s)},
                st.one_of(st.none(), _some(list(STATUSES))),
                st.booleans(),
            ),
            st.builds(
                lambda b, s, labeled: {"batchIds": b, **_given(workflowStatus=s, labeled=labeled)},
                some_ids(batches, STRANGERS),
                st.one_of(st.none(), _some(list(STATUSES))),
                st.one_of(st.none(), st.booleans()),
            ),
        ),
    }
    return st.sampled_from(list(families)).flatmap(lambda k: families[k].map(lambda v: {k: v}))


def covered_trees(spec: CatalogSpec) -> st.SearchStrategy[dict[str, Any]]:
    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        some = st.lists(children, min_size=1, max_size=3)
        return st.one_of(
            some.map(lambda c: {"and": c}), some.map(lambda c: {"or": c}), children.map(lambda c: {"not": c})
        )

    return st.recursive(_covered_leaves(spec), extend, max_leaves=6)


# Writes to a few rows each (by position), which leave their blocks marked and the arrays stale there.
class Catalog:
    """The filter catalog in a SQLite file with its arrays built, driven by its own event loop; `stale`: its rows
    spread over three chunks, a block each, and some written after the arrays were built (STALE_WRITES)."""

    def __init__(self, path: Path, stale: bool) -> None:
        self.runner = asyncio.Runner()
        self.engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        self.org = self.run(self._load())
        if stale:
            self.run(self._stale())

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    async def _load(self) -> str:
        await create_all(self.engine)
        org = await ensure_organization(self.engine)
        await insert_catalog(self.engine, org, SPEC)
        await insert_catalog(self.engine, await ensure_organization(self.engine, "other"), FOREIGN)
        await self._gone_run(org)
        return org

    async def _gone_run(self, org: str) -> None:
        """GONE_RUN holds rows when the arrays are built, then it is deleted (and they rebuilt)."""
        runs, members = ModelRun.__table__, ModelRunDataRow.__table__  # type: ignore[attr-defined]
        async with self.engine.begin() as conn:
            run = {"id": GONE_RUN, "organization_id": org, "name": "gone", "model_id": SPEC.names["model"]}
            await conn.execute(runs.insert(), [{**run, "created_at": SPEC.of(ModelRun)[0]["created_at"]}])
            rows = [{"model_run_id": GONE_RUN, "data_row_id": r, "annotation_group_id": f"g{i}"} for i, r in
                    enumerate(SPEC.ids(DataRow)[::9])]  # fmt: skip
            await conn.execute(members.insert(), [{**r, "organization_id": org} for r in rows])
        await rebuild_dirty(self.engine)
        async with self.engine.begin() as conn:
            await conn.execute(members.delete().where(members.c.model_run_id == GONE_RUN))
            await conn.execute(runs.delete().where(runs.c.id == GONE_RUN))
        await rebuild_dirty(self.engine)

    async def _stale(self) -> None:
        await spread(self.engine, self.org, 1500)
        written: set[int] = set()
        async with self.engine.begin() as conn:
            rows = (await conn.exec_driver_sql("SELECT id, seq FROM datarow ORDER BY seq")).all()
            for at, write in STALE_WRITES.items():
                some = rows[at::40]
                result = await conn.exec_driver_sql(write.format(rows=", ".join(f"'{i}'" for i, _ in some)))
                assert result.rowcount > 0, write  # it changed something
                written |= {seq >> BLOCK_BITS for _, seq in some}
        async with self.engine.connect() as conn:
            assert {block for _, block in await dirty_blocks(conn)} <= written

    async def counts(self, tree: dict[str, Any]) -> tuple[int | None, int]:
        """(from the arrays, from SQL)."""
        async with self.engine.connect() as conn:
            scope = await request_where(conn, self.org, filter=tree)
            facets = None if scope.facets is None else await scope.facets.count(conn)
            return facets, int((await conn.execute(scope.count)).scalar_one())


@pytest.fixture(scope="module", params=["fresh", "stale"])
def catalog(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Catalog]:
    built = Catalog(tmp_path_factory.mktemp("facets") / "c.db", stale=request.param == "stale")
    yield built
    built.run(built.engine.dispose())
    built.runner.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=covered_trees(SPEC))
def test_covered_trees_count_from_the_arrays_as_sql_does(catalog: Catalog, tree: dict[str, Any]) -> None:
    facets, sql = catalog.run(catalog.counts(tree))
    assert facets == sql


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(SPEC, STRANGERS))
def test_any_tree_counts_as_sql_does_or_goes_to_sql(catalog: Catalog, tree: dict[str, Any]) -> None:
    facets, sql = catalog.run(catalog.counts(tree))
    assert facets in (None, sql)


@pytest.mark.parametrize(
    "tree",
    [
        {"project": {"batchIds": ["c-no-such-batch"]}},
        {"project": {"batchIds": [SPEC.names["proj-a-batch1"], SPEC.names["proj-b-batch2"]], "labeled": True}},
    ],
)
def test_batches_without_a_project_count_in_their_own_projects(catalog: Catalog, tree: dict[str, Any]) -> None:
    facets, sql = catalog.run(catalog.counts(tree))
    assert facets == sql and (sql > 0) == (len(tree["project"]) == 2)

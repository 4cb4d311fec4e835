"""What keeps the arrays in use: the server's background rebuild (once the marks hold still), `catalog-export
facets`; and what they cannot say (several values of one schema on a row) goes to SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.cli import main
from server.facets.build import rebuild_dirty
from server.facets.refresher import FacetRefresher
from server.models import MetadataValue
from tests.facets.test_marks import counts, fresh, marks
from tests.utils.filter_catalog import build_catalog

V = MetadataValue.__table__  # type: ignore[attr-defined]


async def test_the_refresher_rebuilds_marks_that_held_still_for_one_interval(engine: AsyncEngine, org_id: str) -> None:
    await build_catalog(engine, org_id)
    refresher = FacetRefresher(engine, interval=1.0)
    seen = await refresher.tick([])
    assert seen == [(org_id, 0)] and await marks(engine, org_id) == seen  # new marks: an import may go on
    assert await refresher.tick([(org_id, 7)]) == seen  # the marks moved since: wait again
    assert await refresher.tick(seen) == [] and await marks(engine, org_id) == []
    await fresh(engine, org_id, {"mediaTypes": ["IMAGE"]})


async def test_a_schema_with_two_values_on_a_row_counts_from_sql(engine: AsyncEngine, org_id: str) -> None:
    spec = await build_catalog(engine, org_id)
    score = spec.names["score"]
    async with engine.begin() as conn:
        row = (await conn.execute(select(V).where(V.c.schema_id == score).limit(1))).mappings().one()
        await conn.execute(insert(V).values({**row, "id": "c-second-value", "number_value": 99.0}))
    await rebuild_dirty(engine)
    assert await counts(engine, org_id, {"metadata": {"name": "score", "gte": 99}}) == (None, 1)
    assert (await counts(engine, org_id, {"metadata": {"name": "score", "exists": True}}))[0] is not None


def test_the_facets_command_rebuilds_marked_chunks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"]
    assert main(["seed", *db, "--rows", "300"]) == 0
    assert main(["facets", *db]) == 0
    assert "facet arrays: 1 chunk(s) rebuilt in" in capsys.readouterr().err
    assert main(["facets", *db]) == 0
    assert "facet arrays: 0 chunk(s) rebuilt in" in capsys.readouterr().err

"""Filter shapes: every relation leaf (and two column leaves) alone, under `not`, and in pairs (`or` of two, one
`and not` another), each as the first page of 100 and as the SQL count (what a count reads while the facet arrays
are stale, or when they cannot answer). The target is linear cost: none above 1 s at 1M rows. Same cached catalog
as bench.filters; `--rows` sets its sizes (`--only filter_shapes --rows 100000 --rows 1000000`)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.filter_catalog import cid
from bench.filters import median_ms, run
from bench.registry import Result, register
from server.loading.lines import load_lines
from server.loading.plan import RowPlan
from server.query.scope import request_where

REPEAT = 3
BUDGET_MS = 1000.0
LEAVES: dict[str, dict[str, Any]] = {
    "annotation": {"annotation": {"name": "Car"}},
    "annotation minCount 2": {"annotation": {"name": "Car", "minCount": 2}},
    "annotation maxCount 0": {"annotation": {"name": "Car", "minCount": 0, "maxCount": 0}},
    "metadata number": {"metadata": {"name": "score", "gt": 50}},
    "metadata enum": {"metadata": {"name": "weather", "eq": "rainy"}},
    "metadata contains": {"metadata": {"name": "caption", "contains": "alpha"}},
    "metadata absent": {"metadata": {"name": "weather", "exists": False}},
    "project": {"project": {"projectId": cid("p", 0)}},
    "project labeled": {"project": {"labeled": True}},
    "batches": {"project": {"batchIds": [cid("b", 0)]}},
    "model runs": {"modelRunIds": [cid("r", 0)]},
    "mediaTypes": {"mediaTypes": ["VIDEO"]},
}


def trees() -> dict[str, dict[str, Any]]:
    """Each leaf and its `not`; each leaf with the next one ORed, and ANDed with its `not`."""
    names = list(LEAVES)
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        found[name] = LEAVES[name]
        found[f"not {name}"] = {"not": LEAVES[name]}
    for a, b in zip(names, names[1:] + names[:1], strict=True):
        found[f"{a} or {b}"] = {"or": [LEAVES[a], LEAVES[b]]}
        found[f"{a} and not {b}"] = {"and": [LEAVES[a], {"not": LEAVES[b]}]}
    return found


async def shape(engine: AsyncEngine, org: str, tree: dict[str, Any]) -> tuple[float, float, int]:
    """Milliseconds of the first page of 100 and of the SQL count (each from a new connection, the filter compiled
    as the API does), and the count."""

    async def page() -> int:
        async with engine.connect() as conn:
            scope = await request_where(conn, org, tree)
            return len((await load_lines(conn, scope.where, RowPlan(), 100, probe=scope.probe)).lines)

    async def count() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute((await request_where(conn, org, tree)).count)).scalar_one())

    page_ms, _ = await median_ms(page, REPEAT)
    count_ms, matched = await median_ms(count, REPEAT)
    return page_ms, count_ms, matched


async def all_shapes(app: Any, rows: int) -> list[Result]:
    engine, org = app.state.engine, app.state.organization_id
    results: list[Result] = []
    slowest = (0.0, "")
    for name, tree in trees().items():
        page_ms, count_ms, matched = await shape(engine, org, tree)
        note = f"{matched:,} of {rows:,} rows match"
        results.append(Result("filter_shapes", f"{name}: first page of 100", page_ms, "ms", note=note))
        results.append(Result("filter_shapes", f"{name}: count (SQL)", count_ms, "ms", note=note))
        slowest = max(slowest, (page_ms, f"{name}: first page"), (count_ms, f"{name}: count"))
    verdict = "within" if slowest[0] <= BUDGET_MS else "ABOVE"
    note = f"{slowest[1]}; {verdict} the {BUDGET_MS:.0f} ms budget at {rows:,} rows"
    return [*results, Result("filter_shapes", "slowest shape", slowest[0], "ms", note=note)]


@register("filter_shapes")
async def filter_shapes(args: argparse.Namespace) -> list[Result]:
    return await run(args, (all_shapes,), (100_000, 1_000_000))

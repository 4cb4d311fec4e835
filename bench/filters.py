"""Filter benchmarks: count and first page per filter family and for a combined tree, and the p50 of 100-row
full-selection pages over HTTP (alone: `--only filters_page`). The catalog comes from bench.filter_catalog and is
cached in bench-results/."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import delete, insert, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.filter_catalog import build, cid
from bench.filter_catalog_pg import build_postgres
from bench.registry import Result, register
from server.app import create_app
from server.auth.keys import create_key
from server.db import create_engine
from server.facets.build import rebuild_dirty
from server.loading.lines import load_lines
from server.loading.plan import RowPlan
from server.models import FacetDirty, metadata
from server.models.facets import BLOCK_ROWS
from server.orgs import ensure_organization
from server.query.count import count_rows
from server.query.scope import request_where
from server.schema_check import create_all, migrate
from server.settings import Settings

CACHE = Path("bench-results")
REPEAT = 5
MARKED = 8  # blocks of 1,024 rows marked (their rows unchanged) for the count while writes wait for a rebuild
SCORE = {"metadata": {"name": "score", "gte": 50}}
FAMILIES: dict[str, dict[str, Any]] = {
    "ids (100)": {"ids": [cid("a", i * 997) for i in range(100)]},
    "globalKeys (100)": {"globalKeys": [f"gk-{i * 997:07d}" for i in range(100)]},
    "externalIds": {"externalIds": ["ext-7"]},
    "datasetIds": {"datasetIds": [cid("d", 3)]},
    "mediaTypes": {"mediaTypes": ["VIDEO"]},
    "createdAt range": {"createdAt": {"gte": "2024-01-02T00:00:00Z", "lt": "2024-01-03T00:00:00Z"}},
    "metadata number gt": {"metadata": {"name": "score", "gt": 90}},
    "metadata enum eq": {"metadata": {"name": "weather", "eq": "rainy"}},
    "metadata string contains": {"metadata": {"name": "caption", "contains": "alpha gam"}},
    "annotation minCount": {"annotation": {"name": "Car", "minCount": 3}},
    "project status+labeled": {"project": {"projectId": cid("p", 0), "workflowStatus": ["DONE"], "labeled": True}},
    "project unlabeled (any project)": {"project": {"labeled": False}},
    "batchIds (no project)": {"project": {"batchIds": [cid("b", 0), cid("b", 3)]}},
    "project batch+status": {
        "project": {"projectId": cid("p", 1), "batchIds": [cid("b", 3)], "workflowStatus": ["DONE"]}
    },
    "modelRunIds": {"modelRunIds": [cid("r", 0)]},
    "combined (metadata+annotation+project+not)": {
        "and": [SCORE, {"annotation": {"name": "Car", "minCount": 2}}],
        "project": {"workflowStatus": ["IN_REVIEW", "DONE"]},
        "not": {"mediaTypes": ["TEXT"]},
    },
    "combined, selective (score > 90, 3 cars, DONE)": {
        "metadata": {"name": "score", "gt": 90},
        "annotation": {"name": "Car", "minCount": 3},
        "project": {"projectId": cid("p", 0), "workflowStatus": ["DONE"]},
    },
}
LABEL = "labelKind version id annotations"
FULL_SELECTION = (
    "id rowData globalKey externalId details { datasetId datasetName createdAt updatedAt createdBy } mediaAttributes "
    "attachments { id type value name } metadataFields { schemaId schemaName value } embeddings { id name values } "
    f"projects {{ id projectName labels {{ {LABEL} labelDetails {{ createdAt updatedAt createdBy reviews }} "
    "performanceDetails } projectDetails { ontologyId taskId taskName batchId batchName priority "
    "consensusExpectedLabelCount workflowStatus workflowHistory } } "
    f"models {{ id modelName modelRuns {{ id modelRunName annotationGroupId labels {{ {LABEL} }} "
    f"predictions {{ {LABEL} }} }} }}"
)
PAGE = "query($after: String) { dataRows(first: 100, after: $after) { pageInfo { endCursor } nodes { %s } } }"


def cached_path(rows: int) -> tuple[Path, bool]:
    """Where the catalog of `rows` rows lives, and whether it is already built."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"filters-{rows}.db"
    return path, path.exists()


async def _fresh(url: str) -> tuple[AsyncEngine, str]:
    engine = create_engine(Settings(database_url=url))
    await create_all(engine)
    return engine, await ensure_organization(engine)


async def sqlite_catalog(rows: int) -> tuple[str, float]:
    """The SQLite file of `rows` rows, kept as a cache. It is built under a `.building` name and renamed when
    complete, so an interrupted build is never taken for a cache."""
    path, built = cached_path(rows)
    url = f"sqlite+aiosqlite:///{path}"
    if built:
        return url, 0.0
    building = path.with_name(path.name + ".building")
    for leftover in (building, *(building.with_name(building.name + end) for end in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    engine, org = await _fresh(f"sqlite+aiosqlite:///{building}")
    await engine.dispose()
    started = time.perf_counter()
    build(building, org, rows)
    building.replace(path)  # build() closed its connection: the WAL is checkpointed into the file
    return url, time.perf_counter() - started


def _database(server: str, name: str, driver: str = "postgresql+asyncpg") -> str:
    return make_url(server).set(drivername=driver, database=name).render_as_string(False)


async def postgres_catalog(server: str, rows: int) -> tuple[str, float]:
    """`server` is a PostgreSQL URL; the catalog is the database `bench_filters_<rows>` there, kept as a cache. It is
    built under a `_building` name and renamed when complete, so an interrupted build is never taken for a cache."""
    name, building = f"bench_filters_{rows}", f"bench_filters_{rows}_building"
    admin = await asyncpg.connect(_database(server, "postgres", "postgresql"))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return _database(server, name), 0.0
        await admin.execute(f'DROP DATABASE IF EXISTS "{building}"')
        await admin.execute(f'CREATE DATABASE "{building}" TEMPLATE template0')
        engine, org = await _fresh(_database(server, building))
        await engine.dispose()
        started = time.perf_counter()
        await build_postgres(_database(server, building, "postgresql"), org, rows)
        await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        return _database(server, name), time.perf_counter() - started
    finally:
        await admin.close()


async def catalog(rows: int, server: str | None = None) -> tuple[str, float, float]:
    """The cached catalog's URL for `rows` (built when missing, migrated to this version's schema when cached), the
    seconds the build took (0 if cached) and those its stale facet arrays took to rebuild (all of them after a
    build)."""
    url, build_s = await (postgres_catalog(server, rows) if server else sqlite_catalog(rows))
    engine = create_engine(Settings(database_url=url))
    try:
        await migrate(engine)
        await ensure_indexes(engine)
        started = time.perf_counter()
        await rebuild_dirty(engine)
    finally:
        await engine.dispose()
    return url, build_s, time.perf_counter() - started


async def ensure_indexes(engine: AsyncEngine) -> None:
    """Indexes added to the models after the catalog was cached (the migration revision keeps its name)."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: [i.create(sync, checkfirst=True) for t in metadata.sorted_tables for i in t.indexes]
        )


async def median_ms(fn: Callable[[], Awaitable[Any]], repeat: int = REPEAT) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


@asynccontextmanager
async def marked(engine: AsyncEngine, org: str, rows: int) -> AsyncIterator[None]:
    """MARKED blocks spread over the catalog marked, as after writes there (the rows themselves are unchanged, so
    the marks are taken away again afterwards)."""
    blocks = [{"organization_id": org, "block": i * (rows // BLOCK_ROWS) // MARKED} for i in range(MARKED)]
    async with engine.begin() as conn:
        await conn.execute(insert(FacetDirty.__table__), blocks)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        async with engine.begin() as conn:
            await conn.execute(delete(FacetDirty.__table__))  # type: ignore[attr-defined]


async def family(engine: AsyncEngine, org: str, name: str, tree: dict[str, Any], rows: int) -> list[Result]:
    async def count() -> int:
        async with engine.connect() as conn:
            return await count_rows(conn, await request_where(conn, org, tree))

    async def first_page() -> int:
        async with engine.connect() as conn:
            scope = await request_where(conn, org, tree)
            return len((await load_lines(conn, scope.where, RowPlan(), 100, probe=scope.probe)).lines)

    async def sql_count() -> int | None:
        """The same count from SQL, as while the arrays are stale; None when the arrays cannot answer the tree."""
        async with engine.connect() as conn:
            scope = await request_where(conn, org, tree)
            return None if scope.facets is None else int((await conn.execute(scope.count)).scalar_one())

    count_ms, matched = await median_ms(count)
    async with marked(engine, org, rows):
        marked_ms, marked_matched = await median_ms(count)
    sql_ms, sql_matched = await median_ms(sql_count)
    page_ms, _ = await median_ms(first_page)
    note = f"{matched:,} of {rows:,} rows match"
    counts = [
        Result(
            "filters", f"{name}: count", count_ms, "ms", note=note + ("" if sql_matched is None else ", facet arrays")
        )
    ]
    if sql_matched is not None:
        assert sql_matched == matched == marked_matched, (name, sql_matched, matched, marked_matched)
        case = f"{name}: count, {MARKED} blocks marked (their rows from SQL)"
        counts.append(Result("filters", case, marked_ms, "ms", note=note))
        counts.append(Result("filters", f"{name}: count from SQL (arrays stale)", sql_ms, "ms", note=note))
    return [*counts, Result("filters", f"{name}: first page of 100", page_ms, "ms", note=note)]


async def http_pages(app: Any, pages: int = 40) -> list[float]:
    times: list[float] = []
    after = None
    key = (await create_key(app.state.engine, app.state.organization_id, "bench")).secret
    headers = {"Authorization": f"Bearer {key}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as http:
        for _ in range(pages):
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": PAGE % FULL_SELECTION, "variables": {"after": after}})
            times.append((time.perf_counter() - started) * 1000)
            after = response.json()["data"]["dataRows"]["pageInfo"]["endCursor"]
    return times


Measure = Callable[[Any, int], Awaitable[list[Result]]]


async def all_families(app: Any, rows: int) -> list[Result]:
    engine, org = app.state.engine, app.state.organization_id
    return [r for name, tree in FAMILIES.items() for r in await family(engine, org, name, tree, rows)]


async def page_p50(app: Any, rows: int) -> list[Result]:
    note = f"{rows:,} rows, 40 consecutive pages, every section and label"
    p50 = statistics.median(await http_pages(app))
    return [Result("filters", "full-selection page of 100 over HTTP: p50", p50, "ms", note=note)]


async def measure(rows: int, server: str | None, parts: tuple[Measure, ...]) -> list[Result]:
    url, build_s, facets_s = await catalog(rows, server)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=url, export_dir=Path(tmp)))
        async with app.router.lifespan_context(app):
            results = [r for part in parts for r in await part(app, rows)]
    built = f"; catalog built in {build_s:.0f} s, facet arrays in {facets_s:.0f} s" if build_s else ""
    return [replace(r, note=r.note + built) for r in results]


def engine_name(server: str | None) -> str:
    return "postgresql" if server else "sqlite"


async def run(
    args: argparse.Namespace, parts: tuple[Measure, ...], sizes: tuple[int, ...] = (1_000_000,)
) -> list[Result]:
    """`parts` measured on each engine (`--database-url`, SQLite without) at each size (`--rows`, else `sizes`)."""
    results: list[Result] = []
    for server in getattr(args, "database_url", None) or [None]:
        for rows in getattr(args, "rows", None) or sizes:
            results += [replace(r, engine=engine_name(server)) for r in await measure(rows, server, parts)]
    return results


@register("filters")
async def filters(args: argparse.Namespace) -> list[Result]:
    return await run(args, (all_families, page_p50))


@register("filters_page")
async def filters_page(args: argparse.Namespace) -> list[Result]:
    """Only the full-selection page p50 (same catalog, same cache): `--only filters_page`."""
    return await run(args, (page_p50,))

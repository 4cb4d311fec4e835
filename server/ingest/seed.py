"""`catalog-export seed`: a deterministic demo catalog in the `demo` organization, bulk-inserted batch by batch."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.db import create_engine, refresh_statistics
from server.errors import bad_input
from server.facets.bulk import NewRows, bulk_load
from server.ingest.seed_catalog import DEFAULT_EMBEDDINGS, Catalog, Spaces, build_catalog
from server.ingest.seed_ontology import BASE_TIME, Seeded
from server.ingest.seed_rows import row_batches
from server.models import DataRow, metadata
from server.orgs import DEMO_ORG, ORG
from server.schema_check import create_all
from server.search.fulltext import index_new_rows
from server.settings import Settings

BATCH_SIZE = 5000
CATALOG_TABLES: tuple[str, ...] = ("dataset", "metadataschema", "ontology", "featureschema", "project", "batch")
CATALOG_TABLES += ("model", "modelrun", "embedding")


def organization_id(seed: int) -> str:
    """The demo organization's id for `seed`: the first id its generator draws."""
    return Seeded(seed).id()


async def _data_rows(conn: AsyncConnection, org_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(DataRow.__table__)
    if org_id is not None:
        stmt = stmt.where(DataRow.__table__.c.organization_id == org_id)
    return int((await conn.execute(stmt)).scalar_one())


async def _insert(conn: AsyncConnection, table: str, rows: list[dict[str, Any]]) -> int:
    if rows:
        await conn.execute(metadata.tables[table].insert(), rows)
    return len(rows)


async def _organization(conn: AsyncConnection, seed: int) -> str:
    found = (await conn.execute(select(ORG.id).where(ORG.name == DEMO_ORG))).scalar_one_or_none()
    if found is not None:
        return str(found)
    await _insert(conn, "organization", [{"id": organization_id(seed), "name": DEMO_ORG, "created_at": BASE_TIME}])
    return organization_id(seed)


async def write_catalog(
    conn: AsyncConnection, rows: int, seed: int, embeddings: Spaces, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Insert the whole catalog inside the caller's transaction, its data rows numbered without the marking
    triggers (server.facets.bulk); returns rows written per table."""
    async with bulk_load(conn) as new_rows:
        return await _write_catalog(conn, rows, seed, embeddings, batch_size, new_rows)


async def _write_catalog(
    conn: AsyncConnection, rows: int, seed: int, embeddings: Spaces, batch_size: int, new_rows: NewRows
) -> dict[str, int]:
    org_id = await _organization(conn, seed)
    if await _data_rows(conn, org_id):
        raise bad_input(
            "The demo organization already has data rows; seed a fresh database or pass --if-empty.", "rows"
        )
    seeded = Seeded(seed)
    seeded.id()  # the organization id's draw, so ids never depend on whether the org existed
    cat = build_catalog(seeded, org_id, embeddings)
    return await write_seeded(conn, cat, seeded, rows, batch_size, new_rows)


async def write_seeded(
    conn: AsyncConnection, cat: Catalog, seeded: Seeded, rows: int, batch_size: int, new_rows: NewRows
) -> dict[str, int]:
    """Insert `cat`'s fixed rows, then `rows` data rows drawn from `seeded` batch by batch (numbered by `new_rows`,
    with their full-text documents); returns rows written per table."""
    counts = {table: await _insert(conn, table, cat.rows.get(table, [])) for table in CATALOG_TABLES}
    for batch in row_batches(cat, seeded, rows, batch_size):
        batch["datarow"] = new_rows.number(batch.get("datarow", []))
        for table, table_rows in batch.items():
            counts[table] = counts.get(table, 0) + await _insert(conn, table, table_rows)
        await index_new_rows(conn, [r["id"] for r in batch.get("datarow", [])])  # full-text documents, per batch
    return counts


async def _journal(conn: AsyncConnection, mode: str) -> bool:
    """SQLite only: switch the journal mode, True when it changed. A bulk load into a rollback journal writes each
    page once, where WAL writes it twice (log, then checkpoint); a file another process holds open stays in WAL."""
    if conn.dialect.name != "sqlite":
        return False
    try:
        current = (await conn.exec_driver_sql(f"PRAGMA journal_mode={mode}")).scalar()
    except OperationalError:
        current = None
    await conn.commit()
    return current == mode


async def seed_database(
    settings: Settings,
    rows: int,
    seed: int = 1,
    if_empty: bool = False,
    embeddings: Spaces = DEFAULT_EMBEDDINGS,
) -> str:
    """Create the tables, then write `rows` demo data rows (nothing with `if_empty` when any data row exists)."""
    if rows < 0:
        raise bad_input(f"--rows must be 0 or more, got {rows}.", "rows")
    engine = create_engine(settings)
    try:
        return await _seed(engine, rows, seed, if_empty, embeddings)
    finally:
        await engine.dispose()


async def _bulk_write(engine: AsyncEngine, rows: int, seed: int, embeddings: Spaces) -> dict[str, int]:
    async with engine.connect() as conn:
        switched = await _journal(conn, "delete")
        try:
            async with conn.begin():
                return await write_catalog(conn, rows, seed, embeddings)
        finally:
            if switched:
                await _journal(conn, "wal")


async def _seed(engine: AsyncEngine, rows: int, seed: int, if_empty: bool, embeddings: Spaces) -> str:
    await create_all(engine)
    if if_empty:
        async with engine.connect() as conn:
            existing = await _data_rows(conn)
        if existing:
            return f"seed skipped: the database already has {existing} data rows"
    started = time.perf_counter()
    counts = await _bulk_write(engine, rows, seed, embeddings)
    await refresh_statistics(engine)
    seconds = time.perf_counter() - started
    return (
        f"seeded {counts['datarow']} data rows, {counts['label']} labels, {counts['modelrun']} model runs, "
        f"{counts['labelfeature']} label features (seed {seed}) in {seconds:.1f}s"
    )

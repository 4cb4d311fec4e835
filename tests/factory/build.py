"""`build`: a profile's catalog written into an organization, and the ids of what was written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.facets.bulk import bulk_load
from server.ingest.seed import write_seeded
from server.ingest.seed_catalog import Catalog, build_catalog
from server.ingest.seed_ontology import Seeded
from server.models import DataRow, Dataset
from tests.factory.profiles import PROFILES

D = DataRow.__table__  # type: ignore[attr-defined]


@dataclass
class Built:
    """Ids of what a build wrote; data rows in the order they were made (row i is `row_ids[i]`)."""

    org_id: str
    row_ids: list[str] = field(default_factory=list)
    dataset_ids: list[str] = field(default_factory=list)
    project_ids: list[str] = field(default_factory=list)
    model_ids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)


def _ids(cat: Catalog, table: str) -> list[str]:
    return [row["id"] for row in cat.rows.get(table, [])]


async def _seed(conn: AsyncConnection, profile: str) -> int:
    """The profile's catalog is the same in every fresh database; a later build (in any organization) draws other ids,
    as the database then holds datasets."""
    datasets = (await conn.execute(select(func.count()).select_from(Dataset.__table__))).scalar_one()  # type: ignore[attr-defined]
    return int.from_bytes(hashlib.blake2b(f"{profile}/{datasets}".encode(), digest_size=8).digest())


async def build(profile: str, engine: AsyncEngine, org_id: str, rows: int | None = None) -> Built:
    """Write the `profile` catalog with `rows` data rows (the profile's default when None) into `org_id`, in one
    transaction."""
    spec = PROFILES[profile]
    async with engine.begin() as conn:
        seeded = Seeded(await _seed(conn, profile))
        cat = build_catalog(seeded, org_id, spec.embeddings, spec.layout)
        async with bulk_load(conn) as new_rows:
            await write_seeded(conn, cat, seeded, spec.rows if rows is None else rows, 5000, new_rows)
        made = select(D.c.id).where(D.c.dataset_id.in_(_ids(cat, "dataset"))).order_by(D.c.id)
        row_ids = list((await conn.execute(made)).scalars())
    built = Built(org_id, row_ids, _ids(cat, "dataset"), _ids(cat, "project"), _ids(cat, "model"))
    built.run_ids = _ids(cat, "modelrun")
    return built

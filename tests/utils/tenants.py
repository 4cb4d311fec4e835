"""Organizations with keys, a dataset and a few data rows, written with Core inserts (the seed is not needed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth.keys import create_key
from server.models import DataRow, Dataset, Slice
from server.models.base import new_id, utcnow
from server.orgs import ensure_organization


@dataclass(frozen=True)
class Tenant:
    name: str
    organization_id: str
    key: str
    admin_key: str
    dataset_id: str
    slice_id: str
    row_ids: tuple[str, ...]
    global_keys: tuple[str, ...]


async def make_tenant(engine: AsyncEngine, name: str, rows: int = 3) -> Tenant:
    org = await ensure_organization(engine, name)
    dataset, slice_id = new_id(), new_id()
    ids = tuple(new_id() for _ in range(rows))
    keys = tuple(f"{name}-row-{i}" for i in range(rows))
    now = utcnow()
    async with engine.begin() as conn:
        await conn.execute(Dataset.__table__.insert(), [{"id": dataset, "organization_id": org, "name": f"{name} ds"}])  # type: ignore[attr-defined]
        await conn.execute(
            DataRow.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "id": i,
                    "organization_id": org,
                    "dataset_id": dataset,
                    "global_key": k,
                    "external_id": k,
                    "row_data": f"https://{name}.example/{k}.jpg",
                    "media_type": "IMAGE",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, k in zip(ids, keys, strict=True)
            ],
        )
        await conn.execute(
            Slice.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "id": slice_id,
                    "organization_id": org,
                    "name": f"{name} slice",
                    "filter": f'{{"datasetIds": ["{dataset}"]}}',
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
    member = await create_key(engine, org, f"{name} member")
    admin = await create_key(engine, org, f"{name} admin", admin=True)
    return Tenant(name, org, member.secret, admin.secret, dataset, slice_id, ids, keys)

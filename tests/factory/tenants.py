"""The `tenants` profile: organizations, each with a member and an admin key, a dataset, a slice over it and a few
image data rows; ids drawn from the seed's `Seeded` (one sequence per organization name), times from BASE_TIME."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth.keys import create_key
from server.ingest.seed_ontology import BASE_TIME, Seeded
from server.orgs import ensure_organization
from tests.factory.insert import insert


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


def _seeded(name: str) -> Seeded:
    return Seeded(int.from_bytes(hashlib.blake2b(f"tenant/{name}".encode(), digest_size=8).digest()))


async def make_tenant(engine: AsyncEngine, name: str, rows: int = 3) -> Tenant:
    org = await ensure_organization(engine, name)
    seeded = _seeded(name)
    dataset, slice_id = seeded.id(), seeded.id()
    ids = tuple(seeded.id() for _ in range(rows))
    keys = tuple(f"{name}-row-{i}" for i in range(rows))
    owned = {"organization_id": org, "created_at": BASE_TIME}
    data_rows = [
        {**owned, "id": i, "dataset_id": dataset, "global_key": k, "external_id": k, "updated_at": BASE_TIME}
        | {"row_data": f"https://{name}.example/{k}.jpg", "media_type": "IMAGE"}
        for i, k in zip(ids, keys, strict=True)
    ]
    scope = f'{{"datasetIds": ["{dataset}"]}}'
    await insert(
        engine,
        {
            "dataset": [{**owned, "id": dataset, "name": f"{name} ds"}],
            "datarow": data_rows,
            "slice": [{**owned, "id": slice_id, "name": f"{name} slice", "filter": scope, "updated_at": BASE_TIME}],
        },
    )
    member = await create_key(engine, org, f"{name} member")
    admin = await create_key(engine, org, f"{name} admin", admin=True)
    return Tenant(name, org, member.secret, admin.secret, dataset, slice_id, ids, keys)

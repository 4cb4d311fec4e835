"""A small deterministic catalog for the Labelbox SDK tests, written with Core inserts (lists of dicts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import (
    Attachment,
    Batch,
    DataRow,
    Dataset,
    Label,
    MetadataSchema,
    MetadataValue,
    Model,
    ModelRun,
    ModelRunDataRow,
    Ontology,
    Project,
    ProjectDataRow,
    Slice,
)
from server.orgs import ensure_organization

T0 = datetime(2024, 1, 31, 12, 0, 0)
STATUSES = ["TO_LABEL", "IN_REVIEW", "DONE", "DONE", "IN_REWORK"]


@dataclass(frozen=True)
class Catalog:
    org_id: str
    dataset_id: str
    other_dataset_id: str
    row_ids: list[str]  # dataset_id's rows, in id order
    other_row_ids: list[str]  # other_dataset_id's encodable rows; its broken row goes to the error stream
    broken_row_id: str
    project_id: str
    batch_ids: list[str]
    model_run_id: str
    slice_id: str


def _id(prefix: str, n: int) -> str:
    return f"c{prefix}{n:0{24 - len(prefix)}d}"


def _row(org: str, dataset: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": _id("row", n),
        "organization_id": org,
        "dataset_id": dataset,
        "global_key": f"key-{n}",
        "external_id": f"ext-{n}",
        "row_data": f"https://example.com/{n}.jpg",
        "media_type": "IMAGE",
        "media_attributes": orjson.dumps({"width": 100 + n, "height": 50}).decode(),
        "created_at": T0 + timedelta(days=n),
        "updated_at": T0 + timedelta(days=n, hours=1),
        **extra,
    }


def _label(org: str, n: int, row: str, **where: Any) -> dict[str, Any]:
    objects = [
        {"feature_id": _id("feat", n), "name": "box", "bounding_box": {"top": n, "left": 1, "height": 2, "width": 3}}
    ]
    return {
        "id": _id("lab", n),
        "organization_id": org,
        "data_row_id": row,
        "created_at": T0 + timedelta(days=10 + n),
        "updated_at": T0 + timedelta(days=10 + n),
        "created_by": "labeler@example.com",
        "annotations": orjson.dumps({"objects": objects, "classifications": [], "relationships": []}).decode(),
        "project_id": None,
        "model_run_id": None,
        "source": "LABEL",
        **where,
    }


def _rows(org: str) -> tuple[list[dict[str, Any]], list[str], list[str], str]:
    good = [_row(org, _id("ds", 1), n) for n in range(1, 6)]
    other = [_row(org, _id("ds", 2), n) for n in range(6, 8)]
    # Stored media attributes that are not JSON (as another tool might write them): an error-stream line.
    broken = _row(org, _id("ds", 2), 9, media_attributes='{"width": ')
    return [*good, *other, broken], [r["id"] for r in good], [r["id"] for r in other], broken["id"]


async def _insert(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await conn.execute(table.__table__.insert(), rows)


async def build_catalog(engine: AsyncEngine) -> Catalog:
    org = await ensure_organization(engine)
    rows, good, other, broken = _rows(org)
    project, run, ontology = _id("proj", 1), _id("run", 1), _id("ont", 1)
    batches = [_id("batch", 1), _id("batch", 2)]
    schema = _id("meta", 1)
    plan: list[tuple[Any, list[dict[str, Any]]]] = [
        (
            Dataset,
            [{"id": _id("ds", n), "organization_id": org, "name": f"dataset {n}", "created_at": T0} for n in (1, 2)],
        ),
        (DataRow, rows),
        (
            Attachment,
            [
                {
                    "id": _id("att", i),
                    "organization_id": org,
                    "data_row_id": r,
                    "type": "TEXT",
                    "value": f"note {i}",
                    "name": "n",
                }
                for i, r in enumerate(good[:2])
            ],
        ),
        (MetadataSchema, [{"id": schema, "organization_id": org, "name": "split", "kind": "string"}]),
        (
            MetadataValue,
            [
                {
                    "id": _id("mv", i),
                    "organization_id": org,
                    "data_row_id": r,
                    "schema_id": schema,
                    "string_value": "train",
                    "value_json": '"train"',
                }
                for i, r in enumerate(good)
            ],
        ),
        (Ontology, [{"id": ontology, "organization_id": org, "name": "boxes", "created_at": T0}]),
        (
            Project,
            [
                {
                    "id": project,
                    "organization_id": org,
                    "name": "project 1",
                    "media_type": "IMAGE",
                    "ontology_id": ontology,
                    "created_at": T0,
                }
            ],
        ),
        (
            Batch,
            [
                {"id": b, "organization_id": org, "project_id": project, "name": f"batch {i}", "created_at": T0}
                for i, b in enumerate(batches)
            ],
        ),
        (
            ProjectDataRow,
            [
                {
                    "project_id": project,
                    "data_row_id": r,
                    "organization_id": org,
                    "batch_id": batches[i % 2],
                    "workflow_status": STATUSES[i],
                    "last_activity_at": T0 + timedelta(days=20 + i),
                }
                for i, r in enumerate(good)
            ],
        ),
        (Model, [{"id": _id("model", 1), "organization_id": org, "name": "detector", "created_at": T0}]),
        (
            ModelRun,
            [{"id": run, "organization_id": org, "model_id": _id("model", 1), "name": "run 1", "created_at": T0}],
        ),
        (
            ModelRunDataRow,
            [
                {"model_run_id": run, "data_row_id": r, "organization_id": org, "annotation_group_id": _id("ag", i)}
                for i, r in enumerate(good[1:4])
            ],
        ),
        (
            Label,
            [_label(org, i, r, project_id=project) for i, r in enumerate(good[2:])]
            + [_label(org, 50 + i, r, model_run_id=run, source="PREDICTION") for i, r in enumerate(good[1:3])],
        ),
        (
            Slice,
            [
                {
                    "id": _id("slice", 1),
                    "organization_id": org,
                    "name": "keys 2-4",
                    "filter": orjson.dumps({"globalKeys": ["key-2", "key-3", "key-4"]}).decode(),
                }
            ],
        ),
    ]
    for table, values in plan:
        await _insert(engine, table, values)
    return Catalog(org, _id("ds", 1), _id("ds", 2), good, other, broken, project, batches, run, _id("slice", 1))

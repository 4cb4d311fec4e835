"""The `labelbox` profile: a small catalog for the Labelbox SDK tests whose ids and times the tests name (`c<kind>0…<n>`
ids, days after T0), labels and their features made by the seed's label writer, written with the factory's insert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.ingest import seed_annotations
from server.ingest.seed_annotations import Shape
from server.ingest.seed_catalog import Catalog as SeedCatalog
from server.ingest.seed_labels import RowLabels
from server.ingest.seed_ontology import BuiltOntology, Seeded, build_ontology
from server.orgs import ensure_organization
from tests.factory.insert import Rows, insert

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


def _labels(org: str, rows: list[dict[str, Any]], ontology: BuiltOntology, project: str, run: str) -> Rows:
    """Project labels on rows 3-5 and predictions on rows 2-3: label `n` created 10 + n days after T0."""
    seeded, out = Seeded(23), {"label": [], "labelfeature": []}
    made = [(n, row, {"project_id": project}) for n, row in enumerate(rows[2:])]
    made += [(50 + n, row, {"model_run_id": run, "source": "PREDICTION"}) for n, row in enumerate(rows[1:3])]
    for n, row, where in made:
        writer = RowLabels(SeedCatalog(org), seeded, out, row, seed_annotations.image, Shape(width=100, height=50))
        at = T0 + timedelta(days=10 + n)
        scope = {"project_id": None, "model_run_id": None, "source": "LABEL"} | where
        writer.label(ontology, _id("lab", n), at, updated_at=at, created_by="labeler@example.com", **scope)
    return out


def _rows(org: str) -> tuple[list[dict[str, Any]], list[str], list[str], str]:
    good = [_row(org, _id("ds", 1), n) for n in range(1, 6)]
    other = [_row(org, _id("ds", 2), n) for n in range(6, 8)]
    # Stored media attributes that are not JSON (as another tool might write them): an error-stream line.
    broken = _row(org, _id("ds", 2), 9, media_attributes='{"width": ')
    return [*good, *other, broken], [r["id"] for r in good], [r["id"] for r in other], broken["id"]


async def build_catalog(engine: AsyncEngine) -> Catalog:
    org = await ensure_organization(engine)
    rows, good, other, broken = _rows(org)
    project, run = _id("proj", 1), _id("run", 1)
    batches = [_id("batch", 1), _id("batch", 2)]
    schema = _id("meta", 1)
    ontology = build_ontology(Seeded(22), org, "Street scenes")
    plan: list[tuple[str, list[dict[str, Any]]]] = [
        (
            "dataset",
            [{"id": _id("ds", n), "organization_id": org, "name": f"dataset {n}", "created_at": T0} for n in (1, 2)],
        ),
        ("datarow", rows),
        (
            "attachment",
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
        ("metadataschema", [{"id": schema, "organization_id": org, "name": "split", "kind": "string"}]),
        (
            "metadatavalue",
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
        ("ontology", [{"id": ontology.id, "organization_id": org, "name": ontology.name, "created_at": T0}]),
        (
            "project",
            [
                {
                    "id": project,
                    "organization_id": org,
                    "name": "project 1",
                    "media_type": "IMAGE",
                    "ontology_id": ontology.id,
                    "created_at": T0,
                }
            ],
        ),
        (
            "batch",
            [
                {"id": b, "organization_id": org, "project_id": project, "name": f"batch {i}", "created_at": T0}
                for i, b in enumerate(batches)
            ],
        ),
        (
            "projectdatarow",
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
        ("model", [{"id": _id("model", 1), "organization_id": org, "name": "detector", "created_at": T0}]),
        (
            "modelrun",
            [{"id": run, "organization_id": org, "model_id": _id("model", 1), "name": "run 1", "created_at": T0}],
        ),
        (
            "modelrundatarow",
            [
                {"model_run_id": run, "data_row_id": r, "organization_id": org, "annotation_group_id": _id("ag", i)}
                for i, r in enumerate(good[1:4])
            ],
        ),
        (
            "slice",
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
    tables = dict(plan) | {"featureschema": ontology.rows} | _labels(org, rows[: len(good)], ontology, project, run)
    await insert(engine, tables)
    return Catalog(org, _id("ds", 1), _id("ds", 2), good, other, broken, project, batches, run, _id("slice", 1))

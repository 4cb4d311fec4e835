"""A deterministic test catalog for filters and loading: described as plain rows first, then bulk-inserted (Core).

The description (`CatalogSpec`) is pure data from a seed, so hypothesis strategies can draw from its ids before
any database exists. Every leaf family has matches and non-matches: metadata of each kind (some rows without),
two projects with batches and statuses, labels with features, two model runs with labels and predictions."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.ingest.features import feature_counts
from server.models import (
    Batch,
    DataRow,
    Dataset,
    Label,
    LabelFeature,
    MetadataSchema,
    MetadataValue,
    Model,
    ModelRun,
    ModelRunDataRow,
    Project,
    ProjectDataRow,
)
from server.timefmt import iso

BASE = datetime(2024, 1, 1)
MEDIA = ("IMAGE", "VIDEO", "TEXT")
STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
WORDS = ("alpha", "Beta", "gamma_1", "delta%", "epsilon")
SCHEMAS = {"caption": "STRING", "score": "NUMBER", "captured_at": "DATETIME", "weather": "ENUM"}
OPTIONS = ("sunny", "rainy", "snowy")
TYPED = ("string_value", "number_value", "datetime_value", "option_id")
TABLES = (Dataset, MetadataSchema, Project, Batch, Model, ModelRun, DataRow, MetadataValue)
TABLES += (ProjectDataRow, ModelRunDataRow, Label, LabelFeature)


@dataclass
class CatalogSpec:
    rng: random.Random
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # schema/option/feature/project/run name → id

    def new_id(self) -> str:
        return "c" + "".join(self.rng.choice("0123456789abcdef") for _ in range(24))

    def add(self, table: Any, **values: Any) -> str:
        values.setdefault("id", self.new_id())
        self.rows.setdefault(table.__tablename__, []).append(values)
        return str(values["id"])

    def of(self, table: Any) -> list[dict[str, Any]]:
        return self.rows.get(table.__tablename__, [])

    def ids(self, table: Any) -> list[str]:
        return [r["id"] for r in self.of(table)]

    @property
    def media_types(self) -> dict[str, str]:
        return {r["id"]: r["media_type"] for r in self.of(DataRow)}


def _schemas(spec: CatalogSpec) -> None:
    for name, kind in SCHEMAS.items():
        spec.names[name] = spec.add(MetadataSchema, name=name, kind=kind, parent_id=None)
    for option in OPTIONS:
        spec.names[option] = spec.add(MetadataSchema, name=option, kind="OPTION", parent_id=spec.names["weather"])


def _containers(spec: CatalogSpec) -> None:
    for name in ("ds-a", "ds-b"):
        spec.names[name] = spec.add(Dataset, name=name, created_at=BASE)
    for p in ("proj-a", "proj-b"):
        spec.names[p] = spec.add(Project, name=p, media_type="IMAGE", created_at=BASE)
        for b in ("1", "2"):
            spec.names[f"{p}-batch{b}"] = spec.add(
                Batch, name=f"{p}-batch{b}", project_id=spec.names[p], created_at=BASE
            )
    spec.names["model"] = spec.add(Model, name="model", created_at=BASE)
    for r in ("run-1", "run-2"):
        spec.names[r] = spec.add(ModelRun, name=r, model_id=spec.names["model"], created_at=BASE + timedelta(hours=1))


def _metadata_value(spec: CatalogSpec, kind: str, i: int) -> tuple[dict[str, Any], Any]:
    rng = spec.rng
    if kind == "STRING":
        text = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
        return {"string_value": text}, text
    if kind == "NUMBER":
        number = rng.randint(-4, 12) / 2
        return {"number_value": number}, number
    if kind == "DATETIME":
        when = BASE + timedelta(days=rng.randint(0, 40))
        return {"datetime_value": when}, iso(when)
    option = rng.choice(OPTIONS)
    return {"option_id": spec.names[option]}, {"schema_id": spec.names[option], "schema_name": option}


def _metadata(spec: CatalogSpec, row_id: str, i: int) -> None:
    for position, (name, kind) in enumerate(SCHEMAS.items()):
        if spec.rng.random() < 0.7:
            typed, value = _metadata_value(spec, kind, i)
            typed = dict.fromkeys(TYPED, None) | typed
            spec.add(
                MetadataValue,
                data_row_id=row_id,
                schema_id=spec.names[name],
                value_json=orjson.dumps(value).decode(),
                position=position,
                **typed,
            )


FEATURES = (("Car", "ImageBoundingBox"), ("Person", "ImagePolygon"))


def _annotations(spec: CatalogSpec) -> dict[str, Any]:
    rng = spec.rng
    objects = [
        {
            "feature_id": spec.new_id(),
            "feature_schema_id": spec.names.setdefault(name, f"fs-{name.lower()}"),
            "name": name,
            "annotation_kind": kind,
            "classifications": [],
        }
        for name, kind in FEATURES
        for _ in range(rng.choice((0, 0, 1, 2, 3)))
    ]
    classifications = []
    if rng.random() < 0.5:
        answer = rng.choice(("good", "bad"))
        classifications.append(
            {
                "feature_id": spec.new_id(),
                "feature_schema_id": "fs-quality",
                "name": "Quality",
                "radio_answer": {
                    "feature_id": spec.new_id(),
                    "feature_schema_id": f"fs-{answer}",
                    "name": answer,
                    "classifications": [],
                },
            }
        )
    return {"objects": objects, "classifications": classifications, "relationships": []}


def _label(spec: CatalogSpec, row_id: str, source: str, project_id: str | None, run_id: str | None) -> None:
    annotations = _annotations(spec)
    created = BASE + timedelta(days=spec.rng.randint(0, 40))
    label_id = spec.add(
        Label,
        data_row_id=row_id,
        project_id=project_id,
        model_run_id=run_id,
        source=source,
        created_at=created,
        updated_at=created,
        annotations=orjson.dumps(annotations).decode(),
    )
    for fid, name, kind, count in feature_counts(annotations):
        spec.rows.setdefault("labelfeature", []).append(
            {
                "label_id": label_id,
                "feature_schema_id": fid,
                "data_row_id": row_id,
                "project_id": project_id,
                "model_run_id": run_id,
                "source": source,
                "name": name,
                "kind": kind,
                "count": count,
            }
        )


def _projects(spec: CatalogSpec, row_id: str, i: int) -> None:
    rng = spec.rng
    for p in ("proj-a", "proj-b"):
        if rng.random() < 0.6:
            batch = spec.names[f"{p}-batch{rng.choice('12')}"]
            spec.rows.setdefault("projectdatarow", []).append(
                {
                    "project_id": spec.names[p],
                    "data_row_id": row_id,
                    "batch_id": batch,
                    "workflow_status": rng.choice(STATUSES),
                    "last_activity_at": BASE + timedelta(days=rng.randint(0, 40)),
                }
            )
            for _ in range(rng.choice((0, 1, 1, 2))):
                _label(spec, row_id, "LABEL", spec.names[p], None)


def _runs(spec: CatalogSpec, row_id: str) -> None:
    for r in ("run-1", "run-2"):
        if spec.rng.random() < 0.5:
            spec.rows.setdefault("modelrundatarow", []).append(
                {"model_run_id": spec.names[r], "data_row_id": row_id, "annotation_group_id": spec.new_id()}
            )
            for source in ("LABEL", "PREDICTION"):
                if spec.rng.random() < 0.6:
                    _label(spec, row_id, source, None, spec.names[r])


def _data_row(spec: CatalogSpec, i: int) -> None:
    rng = spec.rng
    created = BASE + timedelta(hours=i)
    row_id = spec.add(
        DataRow,
        dataset_id=spec.names[rng.choice(("ds-a", "ds-b"))],
        global_key=f"gk-{i:04d}" if rng.random() < 0.9 else None,
        external_id=f"ext-{i % 7}" if rng.random() < 0.8 else None,
        row_data=f"https://example.com/{i}.jpg",
        media_type=rng.choice(MEDIA),
        created_at=created,
        updated_at=created + timedelta(days=rng.randint(0, 30)),
    )
    _metadata(spec, row_id, i)
    _projects(spec, row_id, i)
    _runs(spec, row_id)


def describe_catalog(n_rows: int = 120, seed: int = 7) -> CatalogSpec:
    """The catalog as plain rows (no organization yet), the same for the same seed."""
    spec = CatalogSpec(random.Random(seed))
    _schemas(spec)
    _containers(spec)
    for i in range(n_rows):
        _data_row(spec, i)
    return spec


async def insert_catalog(engine: AsyncEngine, org_id: str, spec: CatalogSpec) -> CatalogSpec:
    """Bulk-insert every table of the spec (one Core executemany per table) into `org_id`."""
    async with engine.begin() as conn:
        for model in TABLES:
            rows = spec.of(model)
            if rows:
                await conn.execute(model.__table__.insert(), [{**r, "organization_id": org_id} for r in rows])
    return spec


async def build_catalog(engine: AsyncEngine, org_id: str, n_rows: int = 120, seed: int = 7) -> CatalogSpec:
    return await insert_catalog(engine, org_id, describe_catalog(n_rows, seed))

"""The `filters` profile: a catalog where every filter leaf family has matches and non-matches, described as plain
rows before any database exists, so hypothesis strategies draw from its ids and vocabulary at collection time.

`VOCABULARY` is the profile's spec: the names and kinds of its metadata schemas, options, features, projects, batches
and model runs, and the value pools rows draw from; the generator, the strategies (tests/filters/strategies.py) and
the reference reading (tests/filters/reference.py) all take it from here. Ids come from the seed's `Seeded` (one
sequence per description seed), times from the seed's BASE_TIME (drawn with `Seeded.at`; metadata dates on whole
days, which `eq` can hit), and the rows are written by the factory's one insert (tests/factory/insert.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.ingest.features import feature_counts
from server.ingest.seed_catalog import STATUSES
from server.ingest.seed_ontology import BASE_TIME, Seeded
from server.models import DataRow
from server.timefmt import iso
from tests.factory.insert import Rows, insert


@dataclass(frozen=True)
class Vocabulary:
    """What the filter catalog names and the values its rows draw from."""

    datasets: tuple[str, ...] = ("ds-a", "ds-b")
    media: tuple[str, ...] = ("IMAGE", "VIDEO", "TEXT")
    statuses: tuple[str, ...] = STATUSES
    # metadata schema name → kind; the ENUM's options; string values are two words (with LIKE's `%` and `_`)
    schemas: tuple[tuple[str, str], ...] = (
        ("caption", "STRING"),
        ("score", "NUMBER"),
        ("captured_at", "DATETIME"),
        ("weather", "ENUM"),
    )
    options: tuple[str, ...] = ("sunny", "rainy", "snowy")
    words: tuple[str, ...] = ("alpha", "Beta", "gamma_1", "delta%", "epsilon")
    halves: tuple[int, int] = (-4, 12)  # NUMBER values: n / 2 for n in this closed range
    days: int = 40  # metadata dates (whole days), label and activity times: up to this many days after BASE_TIME
    row_hours: int = 120  # data rows are created within this many hours of BASE_TIME
    update_days: int = 30  # and updated up to this many days after
    external_ids: int = 7  # external ids `ext-<i % 7>`
    projects: tuple[str, ...] = ("proj-a", "proj-b")
    batches: tuple[str, ...] = ("1", "2")  # per project: `<project>-batch<b>`
    model: str = "model"
    runs: tuple[str, ...] = ("run-1", "run-2")
    # annotation features: objects (name, kind) and one radio classification with its answers
    objects: tuple[tuple[str, str], ...] = (("Car", "ImageBoundingBox"), ("Person", "ImagePolygon"))
    radio: str = "Quality"
    answers: tuple[str, ...] = ("good", "bad")

    @property
    def kinds(self) -> dict[str, str]:
        return dict(self.schemas)

    @property
    def features(self) -> tuple[str, ...]:
        """Every feature name an annotation can carry."""
        return (*(name for name, _ in self.objects), self.radio, *self.answers)

    @property
    def annotation_kinds(self) -> tuple[str, ...]:
        return (*(kind for _, kind in self.objects), "Radio", "Option")

    def batch_names(self) -> list[str]:
        return [f"{p}-batch{b}" for p in self.projects for b in self.batches]

    def day(self, n: int) -> datetime:
        return BASE_TIME + timedelta(days=n)


VOCABULARY = Vocabulary()
BASE = BASE_TIME


@dataclass
class CatalogSpec:
    """The catalog as rows by table (no organization yet) and its names (schema, option, feature, dataset, project,
    batch, model and run name → id)."""

    seeded: Seeded
    vocabulary: Vocabulary = VOCABULARY
    rows: Rows = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def add(self, table: str, **values: Any) -> str:
        values.setdefault("id", self.seeded.id())
        self.rows.setdefault(table, []).append(values)
        return str(values["id"])

    def of(self, table: Any) -> list[dict[str, Any]]:
        return self.rows.get(table.__tablename__, [])

    def ids(self, table: Any) -> list[str]:
        return [r["id"] for r in self.of(table)]

    @property
    def media_types(self) -> dict[str, str]:
        return {r["id"]: r["media_type"] for r in self.of(DataRow)}

    @property
    def kind_of(self) -> dict[str, str]:
        """Metadata schema id → kind."""
        return {self.names[name]: kind for name, kind in self.vocabulary.schemas}


TYPED = ("string_value", "number_value", "datetime_value", "option_id")


def _vocabulary(spec: CatalogSpec) -> None:
    v = spec.vocabulary
    for name, kind in v.schemas:
        spec.names[name] = spec.add("metadataschema", name=name, kind=kind, parent_id=None)
    enum = next(name for name, kind in v.schemas if kind == "ENUM")
    for option in v.options:
        spec.names[option] = spec.add("metadataschema", name=option, kind="OPTION", parent_id=spec.names[enum])
    shared = Seeded(0)  # feature schema ids: the same in every description, as two organizations' catalogs share them
    for feature in v.features:
        spec.names[feature] = shared.id()


def _containers(spec: CatalogSpec) -> None:
    v = spec.vocabulary
    for name in v.datasets:
        spec.names[name] = spec.add("dataset", name=name, created_at=BASE_TIME)
    for p in v.projects:
        spec.names[p] = spec.add("project", name=p, media_type="IMAGE", created_at=BASE_TIME)
        for b in v.batches:
            name = f"{p}-batch{b}"
            spec.names[name] = spec.add("batch", name=name, project_id=spec.names[p], created_at=BASE_TIME)
    spec.names[v.model] = spec.add("model", name=v.model, created_at=BASE_TIME)
    for r in v.runs:
        spec.names[r] = spec.add("modelrun", name=r, model_id=spec.names[v.model], created_at=spec.seeded.at(days=1))


def _metadata_value(spec: CatalogSpec, kind: str) -> tuple[dict[str, Any], Any]:
    rng, v = spec.seeded.rng, spec.vocabulary
    if kind == "STRING":
        text = f"{rng.choice(v.words)} {rng.choice(v.words)}"
        return {"string_value": text}, text
    if kind == "NUMBER":
        number = rng.randint(*v.halves) / 2
        return {"number_value": number}, number
    if kind == "DATETIME":
        when = v.day(rng.randint(0, v.days))
        return {"datetime_value": when}, iso(when)
    option = rng.choice(v.options)
    return {"option_id": spec.names[option]}, {"schema_id": spec.names[option], "schema_name": option}


def _metadata(spec: CatalogSpec, row_id: str) -> None:
    for position, (name, kind) in enumerate(spec.vocabulary.schemas):
        if spec.seeded.rng.random() < 0.7:
            typed, value = _metadata_value(spec, kind)
            typed = dict.fromkeys(TYPED, None) | typed
            spec.add(
                "metadatavalue",
                data_row_id=row_id,
                schema_id=spec.names[name],
                value_json=orjson.dumps(value).decode(),
                position=position,
                **typed,
            )


def _feature(spec: CatalogSpec, name: str, **rest: Any) -> dict[str, Any]:
    return {"feature_id": spec.seeded.id(), "feature_schema_id": spec.names[name], "name": name, **rest}


def _annotations(spec: CatalogSpec) -> dict[str, Any]:
    rng, v = spec.seeded.rng, spec.vocabulary
    objects = [
        _feature(spec, name, annotation_kind=kind, classifications=[])
        for name, kind in v.objects
        for _ in range(rng.choice((0, 0, 1, 2, 3)))
    ]
    classifications = []
    if rng.random() < 0.5:
        answer = _feature(spec, rng.choice(v.answers), classifications=[])
        classifications.append(_feature(spec, v.radio, radio_answer=answer))
    return {"objects": objects, "classifications": classifications, "relationships": []}


def _label(spec: CatalogSpec, row_id: str, source: str, project_id: str | None, run_id: str | None) -> None:
    annotations = _annotations(spec)
    created = spec.seeded.at(days=spec.vocabulary.days)
    label_id = spec.add(
        "label",
        data_row_id=row_id,
        project_id=project_id,
        model_run_id=run_id,
        source=source,
        created_at=created,
        updated_at=created,
        annotations=orjson.dumps(annotations).decode(),
    )
    scope = {"data_row_id": row_id, "project_id": project_id, "model_run_id": run_id, "source": source}
    for fid, name, kind, count in feature_counts(annotations):
        row = {"label_id": label_id, "feature_schema_id": fid, **scope, "name": name, "kind": kind, "count": count}
        spec.rows.setdefault("labelfeature", []).append(row)


def _projects(spec: CatalogSpec, row_id: str) -> None:
    rng, v = spec.seeded.rng, spec.vocabulary
    for p in v.projects:
        if rng.random() < 0.6:
            spec.rows.setdefault("projectdatarow", []).append(
                {
                    "project_id": spec.names[p],
                    "data_row_id": row_id,
                    "batch_id": spec.names[f"{p}-batch{rng.choice(v.batches)}"],
                    "workflow_status": rng.choice(v.statuses),
                    "last_activity_at": spec.seeded.at(days=v.days),
                }
            )
            for _ in range(rng.choice((0, 1, 1, 2))):
                _label(spec, row_id, "LABEL", spec.names[p], None)


def _runs(spec: CatalogSpec, row_id: str) -> None:
    for r in spec.vocabulary.runs:
        if spec.seeded.rng.random() < 0.5:
            spec.rows.setdefault("modelrundatarow", []).append(
                {"model_run_id": spec.names[r], "data_row_id": row_id, "annotation_group_id": spec.seeded.id()}
            )
            for source in ("LABEL", "PREDICTION"):
                if spec.seeded.rng.random() < 0.6:
                    _label(spec, row_id, source, None, spec.names[r])


def _data_row(spec: CatalogSpec, i: int) -> None:
    rng, v = spec.seeded.rng, spec.vocabulary
    created = spec.seeded.at(days=v.row_hours / 24)
    row_id = spec.add(
        "datarow",
        dataset_id=spec.names[rng.choice(v.datasets)],
        global_key=f"gk-{i:04d}" if rng.random() < 0.9 else None,
        external_id=f"ext-{i % v.external_ids}" if rng.random() < 0.8 else None,
        row_data=f"https://example.com/{i}.jpg",
        media_type=rng.choice(v.media),
        created_at=created,
        updated_at=spec.seeded.at(created, days=v.update_days),
    )
    _metadata(spec, row_id)
    _projects(spec, row_id)
    _runs(spec, row_id)


def describe_catalog(n_rows: int = 120, seed: int = 7) -> CatalogSpec:
    """The catalog as plain rows (no organization yet), the same for the same seed."""
    spec = CatalogSpec(Seeded(seed))
    _vocabulary(spec)
    _containers(spec)
    for i in range(n_rows):
        _data_row(spec, i)
    return spec


async def insert_catalog(engine: AsyncEngine, org_id: str, spec: CatalogSpec) -> CatalogSpec:
    """Write every table of the spec into `org_id` with the factory's insert (one transaction)."""
    await insert(engine, {table: [{**r, "organization_id": org_id} for r in rows] for table, rows in spec.rows.items()})
    return spec


async def build_catalog(engine: AsyncEngine, org_id: str, n_rows: int = 120, seed: int = 7) -> CatalogSpec:
    return await insert_catalog(engine, org_id, describe_catalog(n_rows, seed))

"""A small catalog with every annotation kind and every optional export section, written with Core inserts.

`build_catalog(engine, org_id, rows=N)` is deterministic in shape (ids are random); it scales to bench sizes by
writing in chunks of CHUNK rows. Payloads are stored the way the app stores them: compact orjson text.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.ingest.features import feature_counts
from server.ingest.import_tables import Rows, write_rows
from server.models.base import new_id

CHUNK = 2000
T0 = datetime(2024, 1, 31, 12, 0, 0)
MEDIA = ("IMAGE", "VIDEO", "TEXT")


def _f(fid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"feature_id": new_id(), "feature_schema_id": fid, "name": name, "value": name, **extra}


@dataclass
class Catalog:
    """Ids of what was built, for tests to aim filters and params at."""

    org_id: str
    dataset_ids: list[str] = field(default_factory=list)
    row_ids: list[str] = field(default_factory=list)
    project_ids: list[str] = field(default_factory=list)
    model_ids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    features: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)

    def row(self, name: str) -> dict[str, Any]:
        return {"organization_id": self.org_id, "id": new_id(), "name": name}


FEATURES = {
    "car": ("tool", "bbox"),
    "lake": ("tool", "polygon"),
    "road": ("tool", "line"),
    "tip": ("tool", "point"),
    "sky": ("tool", "raster-segmentation"),
    "person": ("tool", "named-entity"),
    "drives": ("tool", "edge"),
    "weather": ("classification", "radio"),
    "sunny": ("option", "option"),
    "tags": ("classification", "checklist"),
    "blurry": ("option", "option"),
    "note": ("classification", "text"),
}


def image_annotations(c: Catalog) -> dict[str, Any]:
    f = c.features
    car = _f(f["car"], "car", annotation_kind="ImageBoundingBox")
    car["bounding_box"] = {"top": 10.0, "left": 20.0, "height": 30.0, "width": 40.5}
    note = _f(f["note"], "note", text_answer={"content": "nested \u00e9 text"})
    car["classifications"] = [note]
    objects = [
        car,
        _f(
            f["lake"],
            "lake",
            annotation_kind="ImagePolygon",
            polygon=[{"x": 1.0, "y": 2.0}, {"x": 3.5, "y": 4.0}, {"x": 1.0, "y": 2.0}],
        ),
        _f(f["road"], "road", annotation_kind="ImagePolyline", line=[{"x": 1.0, "y": 2.0}, {"x": 5.0, "y": 6.0}]),
        _f(f["tip"], "tip", annotation_kind="ImagePoint", point={"x": 5.0, "y": 6.0}),
        _f(
            f["sky"],
            "sky",
            annotation_kind="ImageSegmentationMask",
            composite_mask={"url": "https://example.com/m.png", "color_rgb": [0, 128, 255]},
        ),
        _f(f["person"], "person", annotation_kind="TextEntity", location={"start": 12, "end": 19, "token": "a person"}),
    ]
    sunny = _f(f["sunny"], "sunny", classifications=[])
    classifications = [
        _f(f["weather"], "weather", radio_answer=sunny),
        _f(f["tags"], "tags", checklist_answers=[_f(f["blurry"], "blurry", classifications=[])]),
    ]
    ends = {"source": car["feature_id"], "target": objects[1]["feature_id"]}
    rel = _f(f["drives"], "drives", unidirectional_relationship=ends)
    return {"objects": objects, "classifications": classifications, "relationships": [rel]}


def video_annotations(c: Catalog) -> dict[str, Any]:
    car = _f(c.features["car"], "car", annotation_kind="VideoBoundingBox", classifications=[])
    car["bounding_box"] = {"top": 1.0, "left": 2.0, "height": 3.0, "width": 4.0}
    frames = {"1": {"objects": {car["feature_id"]: car}, "classifications": []}}
    return {
        "frames": frames,
        "segments": {car["feature_id"]: [[1, 10]]},
        "key_frame_feature_map": {car["feature_id"]: [1, 10]},
        "classifications": [],
    }


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def _static(engine: AsyncEngine, c: Catalog) -> dict[str, list[dict[str, Any]]]:
    """Datasets, ontology, features, projects, batches, models, runs, metadata schemas, an embedding space."""
    ontology = c.row("ontology") | {"created_at": T0}
    tables: dict[str, list[dict[str, Any]]] = {"ontology": [ontology]}
    tables["dataset"] = [c.row(f"dataset-{i}") | {"created_at": T0} for i in range(2)]
    tables["featureschema"] = [
        c.row(name) | {"ontology_id": ontology["id"], "category": cat, "type": typ, "value": name, "position": i}
        for i, (name, (cat, typ)) in enumerate(FEATURES.items())
    ]
    tables["project"] = [
        c.row(f"project-{i}") | {"media_type": "IMAGE", "ontology_id": ontology["id"], "created_at": T0 + timedelta(i)}
        for i in range(2)
    ]
    tables["batch"] = [c.row(f"batch-{i}") | {"project_id": p["id"]} for i, p in enumerate(tables["project"])]
    tables["model"] = [c.row("model-0") | {"ontology_id": ontology["id"], "created_at": T0}]
    tables["modelrun"] = [
        c.row(f"run-{i}") | {"model_id": tables["model"][0]["id"], "created_at": T0 + timedelta(i)} for i in range(2)
    ]
    kinds = {"source": "string", "score": "number", "captured_at": "datetime", "split": "enum"}
    tables["metadataschema"] = [c.row(name) | {"kind": kind, "parent_id": None} for name, kind in kinds.items()]
    split = tables["metadataschema"][-1]["id"]
    tables["metadataschema"] += [c.row(o) | {"kind": "option", "parent_id": split} for o in ("train", "valid")]
    tables["embedding"] = [c.row("clip") | {"dims": 4, "created_at": T0}]
    c.dataset_ids = [d["id"] for d in tables["dataset"]]
    c.project_ids = [p["id"] for p in tables["project"]]
    c.model_ids = [m["id"] for m in tables["model"]]
    c.run_ids = [r["id"] for r in tables["modelrun"]]
    c.features = {f["name"]: f["id"] for f in tables["featureschema"]}
    c.schemas = {s["name"]: s["id"] for s in tables["metadataschema"]}
    return tables


async def write_tables(engine: AsyncEngine, tables: Rows) -> None:
    async with engine.begin() as conn:
        await write_rows(conn, tables)


async def build_catalog(engine: AsyncEngine, org_id: str, rows: int = 12) -> Catalog:
    c = Catalog(org_id)
    static = await _static(engine, c)
    await write_tables(engine, static)
    for start in range(0, rows, CHUNK):
        tables: dict[str, list[dict[str, Any]]] = {}
        for i in range(start, min(rows, start + CHUNK)):
            for name, values in _row_tables(c, static, i):
                tables.setdefault(name, []).extend(values)
        await write_tables(engine, tables)
    return c


def _row_tables(c: Catalog, static: dict[str, list[dict[str, Any]]], i: int) -> Iterator[tuple[str, list[Any]]]:
    row_id, at = new_id(), T0 + timedelta(seconds=i)
    c.row_ids.append(row_id)
    media = MEDIA[i % 3]
    yield "datarow", [_data_row(c, row_id, i, media, at)]
    base = {"organization_id": c.org_id, "data_row_id": row_id}
    if i % 2 == 0:
        yield "attachment", [base | {"id": new_id(), "type": t, "value": f"v{i}", "name": t, "position": k}
                             for k, t in enumerate(("IMAGE_OVERLAY", "TEXT"))]  # fmt: skip
    yield "metadatavalue", list(_metadata(c, base, i, at))
    if i % 3 != 2:
        vector = array("f", [i * 0.5, 1.0, -2.25, 3.0]).tobytes()
        yield "datarowembedding", [base | {"embedding_id": static["embedding"][0]["id"], "vector": vector}]
    yield from _labeling(c, static, base, i, media, at)


def _data_row(c: Catalog, row_id: str, i: int, media: str, at: datetime) -> dict[str, Any]:
    attrs = {"mime_type": {"IMAGE": "image/png", "VIDEO": "video/mp4", "TEXT": "text/plain"}[media], "width": i}
    return {
        "id": row_id,
        "organization_id": c.org_id,
        "dataset_id": c.dataset_ids[i % 2],
        "global_key": f"gk-{i:07d}",
        "external_id": f"ext-{i}" if i % 4 else None,
        "row_data": f"https://example.com/{i}.{media.lower()}",
        "media_type": media,
        "media_attributes": _dumps(attrs),
        "created_at": at,
        "updated_at": at + timedelta(minutes=1),
        "created_by": "builder@example.com",
    }


def _metadata(c: Catalog, base: dict[str, Any], i: int, at: datetime) -> Iterator[dict[str, Any]]:
    option = c.schemas["train" if i % 2 else "valid"]
    values = [
        ("source", {"string_value": f"cam-{i % 3}"}, f"cam-{i % 3}"),
        ("score", {"number_value": i / 4}, i / 4),
        ("captured_at", {"datetime_value": at}, at.isoformat(timespec="milliseconds") + "+00:00"),
        ("split", {"option_id": option}, {"schema_id": option, "schema_name": "train" if i % 2 else "valid"}),
    ]
    for pos, (name, typed, value) in enumerate(values):
        row = base | {"id": new_id(), "schema_id": c.schemas[name], "value_json": _dumps(value), "position": pos}
        yield row | dict.fromkeys(("string_value", "number_value", "datetime_value", "option_id")) | typed


def _label(base: dict[str, Any], annotations: dict[str, Any], at: datetime, **extra: Any) -> dict[str, Any]:
    performance = {"seconds_to_create": 3.5, "skipped": False, "consensus_score": None}
    return base | {
        "id": new_id(),
        "project_id": None,
        "model_run_id": None,
        "source": "LABEL",
        "created_at": at,
        "updated_at": at,
        "created_by": "labeler@example.com",
        "reviews": _dumps([{"score": 1, "reviewed_by": "r@example.com"}]),
        "performance_details": _dumps(performance),
        "annotations": _dumps(annotations),
        **extra,
    }


def _labeling(
    c: Catalog, static: dict[str, list[dict[str, Any]]], base: dict[str, Any], i: int, media: str, at: datetime
) -> Iterator[tuple[str, list[Any]]]:
    annotate = video_annotations if media == "VIDEO" else image_annotations
    projects = static["project"][: 1 + i % 2]
    history = _dumps([{"action": "CREATED", "created_at": "2024-01-31T12:00:00.000+00:00"}])
    yield "projectdatarow", [
        base | {"project_id": p["id"], "batch_id": static["batch"][k]["id"], "priority": k + 1,
                "workflow_status": "DONE", "task_id": f"task-{k}", "task_name": "Review", "workflow_history": history}
        for k, p in enumerate(projects)
    ]  # fmt: skip
    labels = [_label(base, annotate(c), at, project_id=p["id"]) for p in projects]
    runs = static["modelrun"][: 1 + i % 2]
    yield "modelrundatarow", [base | {"model_run_id": r["id"], "annotation_group_id": new_id()} for r in runs]
    for r in runs:
        labels.append(_label(base, annotate(c), at, model_run_id=r["id"]))
        labels.append(_label(base, annotate(c), at, model_run_id=r["id"], source="PREDICTION"))
    yield "label", labels
    yield "labelfeature", [
        {"label_id": lab["id"], "organization_id": c.org_id, "data_row_id": base["data_row_id"],
         "project_id": lab["project_id"], "model_run_id": lab["model_run_id"],
         "source": lab["source"], "feature_schema_id": fid, "name": name, "kind": kind, "count": n}
        for lab in labels
        for fid, name, kind, n in feature_counts(orjson.loads(lab["annotations"]))
    ]  # fmt: skip

"""One Export v2 line → table rows (dicts with every column), plus the shared records it refers to.

Shared records (datasets, projects, batches, models, runs, ontologies, metadata and feature schemas, embedding
spaces) come out keyed by id in `shared`; the caller inserts each id once. Nothing here touches the database.
"""

from __future__ import annotations

from array import array
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from server.ingest.features import feature_counts
from server.loading.formats import ENVELOPES, Envelope, ExportFormat
from server.models.base import new_id
from server.timefmt import parse_iso

EPOCH = datetime(2000, 1, 1)
IMPORT_DATASET = "imported"
MEDIA_BY_MIME = {"image": "IMAGE", "video": "VIDEO", "text": "TEXT", "audio": "AUDIO", "application": "DOCUMENT"}
TOOL_TYPES = {
    "ImageBoundingBox": "bbox",
    "VideoBoundingBox": "bbox",
    "ImagePolygon": "polygon",
    "ImagePolyline": "line",
    "ImagePoint": "point",
    "ImageSegmentationMask": "raster-segmentation",
    "TextEntity": "named-entity",
    "Relationship": "edge",
}
CLASSIFICATION_TYPES = {"Radio": "radio", "Checklist": "checklist", "Text": "text"}


@dataclass
class LineRows:
    """What one line writes: its own rows by table, the shared records it needs, and ordering hints."""

    org: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shared: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    orders: dict[str, list[str]] = field(default_factory=dict)

    def add(self, table: str, **values: Any) -> dict[str, Any]:
        row = {"organization_id": self.org, **values}
        self.rows.setdefault(table, []).append(row)
        return row

    def share(self, table: str, **values: Any) -> None:
        self.shared.setdefault(table, {}).setdefault(values["id"], {"organization_id": self.org, **values})


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _media_type(attributes: dict[str, Any]) -> str:
    mime = str(attributes.get("mime_type") or "")
    return MEDIA_BY_MIME.get(mime.split("/")[0], "IMAGE")


class LineError(ValueError):
    """A line that is not an export line of either format; the message says why and is reported as it is."""


def line_format(line: dict[str, Any]) -> ExportFormat:
    """The envelope a line is written in, from the keys only one format uses (a line with neither projects nor
    models fits both and reads as LABELBOX); LineError when it mixes them or its projects use neither."""
    seen = {fmt for fmt, keys in ENVELOPES.items() if keys.models in line}
    for pid, project in (line.get("projects") or {}).items():
        if not isinstance(project, dict):
            raise LineError(f"projects.{pid} is not an object")
        named = {fmt for fmt, keys in ENVELOPES.items() if keys.project_name in project}
        if not named:
            names = " or ".join(sorted({keys.project_name for keys in ENVELOPES.values()}))
            raise LineError(f"projects.{pid} has no {names}: the line is in neither export format")
        seen |= named
    if len(seen) > 1:
        raise LineError(
            "the line mixes the LABELBOX envelope (projects.<id>.name, experiments) with the LABELBOX_2023_BETA "
            "one (projects.<id>.project_name, models); write each line in one format"
        )
    return next(iter(seen), ExportFormat.LABELBOX)


def convert_line(line: dict[str, Any], org: str, default_dataset: str) -> LineRows:
    if not isinstance(line, dict) or not isinstance(line.get("data_row"), dict):
        raise LineError("the line has no data_row object: it is not an export line")
    keys = ENVELOPES[line_format(line)]
    out = LineRows(org)
    row_id = _data_row(out, line, default_dataset)
    for pos, a in enumerate(line.get("attachments") or []):
        out.add(
            "attachment", id=a["id"], data_row_id=row_id, type=a["type"], value=a["value"], name=a["name"], position=pos
        )
    for pos, m in enumerate(line.get("metadata_fields") or []):
        _metadata(out, row_id, pos, m)
    for e in line.get("embeddings") or []:
        _embedding(out, row_id, e)
    labels = _Labels(out, row_id)
    _projects(out, row_id, line.get("projects") or {}, labels, keys)
    _models(out, row_id, line.get(keys.models) or {}, labels, keys)
    return out


def _embedding(out: LineRows, row_id: str, e: dict[str, Any]) -> None:
    """One vector of the row in a space: `values` is a list holding one `{value: [...]}` (Labelbox's shape)."""
    vectors = e["values"]
    if not (isinstance(vectors, list) and len(vectors) == 1 and isinstance(vectors[0], dict)):
        raise LineError(f"embeddings {e['id']!r}: values must be a list of one {{value: [numbers]}}")
    value = vectors[0]["value"]
    if len(value) != e["dimensions"]:
        raise LineError(f"embeddings {e['id']!r}: {len(value)} values, but dimensions says {e['dimensions']}")
    space = {"name": e["name"], "dims": e["dimensions"], "is_custom": bool(e.get("is_custom", True))}
    out.share("embedding", id=e["id"], **space, created_at=EPOCH)
    out.add("datarowembedding", embedding_id=e["id"], data_row_id=row_id, vector=array("f", value).tobytes())


def _data_row(out: LineRows, line: dict[str, Any], default_dataset: str) -> str:
    d = line["data_row"]
    details = d.get("details") or {}
    dataset_id = details.get("dataset_id") or default_dataset
    name = (details.get("dataset_name") or dataset_id) if details else IMPORT_DATASET
    out.share("dataset", id=dataset_id, name=name, created_at=EPOCH)
    attributes = line.get("media_attributes") or {}
    out.add(
        "datarow",
        id=d["id"],
        dataset_id=dataset_id,
        global_key=d.get("global_key"),
        external_id=d.get("external_id"),
        row_data=d["row_data"],
        media_type=_media_type(attributes),
        media_attributes=_dumps(attributes),
        created_at=_time(details.get("created_at")),
        updated_at=_time(details.get("updated_at")),
        last_activity_at=_time(details["last_activity_at"]) if details.get("last_activity_at") else None,
        created_by=details.get("created_by"),
    )
    return str(d["id"])


def _time(value: str | None, default: datetime = EPOCH) -> datetime:
    return parse_iso(value) if value else default


def _options(value: Any) -> list[dict[str, Any]]:
    """The enum options a metadata value names: one `{schema_id, schema_name}`, or a list of them (as some Labelbox
    exports write an enum value); none for any other value."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    return []


def _typed(value: Any) -> tuple[str, dict[str, Any]]:
    """The metadata kind of a value (enum option, embedding, number, ISO datetime, string) and its filter column."""
    options = _options(value)
    if options:
        return "ENUM", {"option_id": options[0]["schema_id"]}
    if _is_vector(value):
        return "EMBEDDING", {}
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"metadata value {value!r} is not a string, number, datetime, enum option or embedding")
    if isinstance(value, (int, float)):
        return "NUMBER", {"number_value": float(value)}
    if "T" in value:
        with suppress(ValueError):
            return "DATETIME", {"datetime_value": parse_iso(value)}
    return "STRING", {"string_value": value}


def _is_vector(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    )


TYPED_COLUMNS = ("string_value", "number_value", "datetime_value", "option_id")


def _metadata(out: LineRows, row_id: str, pos: int, m: dict[str, Any]) -> None:
    value = m["value"]
    kind, typed = _typed(value)
    out.share("metadataschema", id=m["schema_id"], name=m["schema_name"], kind=kind, parent_id=None)
    for option in _options(value):
        named = {"id": option["schema_id"], "name": option["schema_name"], "kind": "OPTION"}
        out.share("metadataschema", **named, parent_id=m["schema_id"])
    columns = dict.fromkeys(TYPED_COLUMNS) | typed
    out.add(
        "metadatavalue",
        id=new_id(),
        data_row_id=row_id,
        schema_id=m["schema_id"],
        value_json=_dumps(value),
        position=pos,
        **columns,
    )


class _Labels:
    """Labels of one line; those without label_details get increasing times so their order survives."""

    def __init__(self, out: LineRows, row_id: str) -> None:
        self.out, self.row_id, self.seq = out, row_id, 0

    def add(self, lab: dict[str, Any], ontology: str | None, **where: Any) -> None:
        details = lab.get("label_details") or {}
        self.seq += 1
        fallback = EPOCH + timedelta(milliseconds=self.seq)
        values = {"project_id": None, "model_run_id": None, "source": "LABEL", **where}
        self.out.add(
            "label",
            id=lab["id"],
            data_row_id=self.row_id,
            label_kind=lab["label_kind"],
            version=lab["version"],
            created_at=_time(details.get("created_at"), fallback),
            updated_at=_time(details.get("updated_at"), fallback),
            content_last_updated_at=_time(details.get("content_last_updated_at"), fallback) if details else None,
            created_by=details.get("created_by"),
            reviews=_dumps(details.get("reviews", [])),
            performance_details=_dumps(lab.get("performance_details", {})),
            annotations=_dumps(lab["annotations"]),
            **values,
        )
        self._features(lab, ontology, values)

    def _features(self, lab: dict[str, Any], ontology: str | None, values: dict[str, Any]) -> None:
        ontology = ontology or self._fallback_ontology()
        for fid, name, kind, count in feature_counts(lab["annotations"]):
            self.out.share(
                "featureschema",
                id=fid,
                ontology_id=ontology,
                parent_id=None,
                name=name,
                value=name,
                position=0,
                **_feature_kind(kind),
            )
            self.out.add(
                "labelfeature",
                label_id=lab["id"],
                feature_schema_id=fid,
                data_row_id=self.row_id,
                name=name,
                kind=kind,
                count=count,
                **values,
            )

    def _fallback_ontology(self) -> str:
        ontology = f"imported-{self.out.org}"[:25]
        self.out.share("ontology", id=ontology, name="Imported features", created_at=EPOCH)
        return ontology


def _feature_kind(kind: str) -> dict[str, str]:
    if kind == "Option":
        return {"category": "option", "type": "option"}
    if kind in CLASSIFICATION_TYPES:
        return {"category": "classification", "type": CLASSIFICATION_TYPES[kind]}
    return {"category": "tool", "type": TOOL_TYPES.get(kind, kind)[:32]}


def _projects(out: LineRows, row_id: str, projects: dict[str, Any], labels: _Labels, keys: Envelope) -> None:
    out.orders["project"] = list(projects)
    for pid, p in projects.items():
        details = p.get("project_details") or {}
        ontology = details.get("ontology_id")
        if ontology:
            out.share("ontology", id=ontology, name=ontology, created_at=EPOCH)
        name = p[keys.project_name]
        out.share("project", id=pid, name=name, media_type="IMAGE", ontology_id=ontology, created_at=EPOCH)
        out.add("projectdatarow", project_id=pid, data_row_id=row_id, **_membership(out, pid, details))
        for lab in p.get("labels") or []:
            labels.add(lab, ontology, project_id=pid)


def _membership(out: LineRows, pid: str, d: dict[str, Any]) -> dict[str, Any]:
    if d.get("batch_id"):
        out.share("batch", id=d["batch_id"], project_id=pid, name=d.get("batch_name") or d["batch_id"])
    return {
        "batch_id": d.get("batch_id"),
        "priority": d.get("priority", 5),
        "workflow_status": d.get("workflow_status") or "TO_LABEL",
        "task_id": d.get("task_id"),
        "task_name": d.get("task_name"),
        "consensus_expected_label_count": d.get("consensus_expected_label_count", 1),
        "workflow_history": _dumps(d.get("workflow_history", [])),
        "last_activity_at": EPOCH,
    }


def _models(out: LineRows, row_id: str, models: dict[str, Any], labels: _Labels, keys: Envelope) -> None:
    out.orders["model"] = list(models)
    out.orders["modelrun"] = [rid for m in models.values() for rid in m[keys.runs]]
    for mid, m in models.items():
        out.share("model", id=mid, name=m[keys.model_name], ontology_id=None, created_at=EPOCH)
        for rid, run in m[keys.runs].items():
            out.share("modelrun", id=rid, model_id=mid, name=run[keys.run_name], created_at=EPOCH)
            group = run.get(keys.run_row_id) or new_id()
            out.add("modelrundatarow", model_run_id=rid, data_row_id=row_id, annotation_group_id=group)
            for source, key in (("LABEL", "labels"), ("PREDICTION", "predictions")):
                for lab in run.get(key) or []:
                    labels.add(lab, None, model_run_id=rid, source=source)

"""A plain-Python reading of a DataRowFilter over exported NDJSON lines (every section on): the property test's oracle.

It shares nothing with server/filters but the meaning in the README; media types come from the catalog description
(the export line has no media type field)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from server.ingest.features import feature_counts
from server.timefmt import parse_iso
from tests.factory.filters import CatalogSpec

Line = dict[str, Any]


def _in_range(value: Any, bounds: dict[str, Any], convert: Callable[[Any], Any] = parse_iso) -> bool:
    if value is None:
        return False
    tests = {
        "gt": lambda b: value > b,
        "gte": lambda b: value >= b,
        "lt": lambda b: value < b,
        "lte": lambda b: value <= b,
    }
    return all(tests[op](convert(b)) for op, b in bounds.items())


def _features(line: Line) -> Iterator[dict[str, Any]]:
    for pid, project in line["projects"].items():
        for label in project["labels"]:
            yield from _counted(label, project_id=pid, model_run_id=None, source="LABEL")
    for model in line["experiments"].values():
        for rid, run in model["runs"].items():
            for source, key in (("LABEL", "labels"), ("PREDICTION", "predictions")):
                for label in run[key]:
                    yield from _counted(label, project_id=None, model_run_id=rid, source=source)


def _counted(label: Line, **where: Any) -> Iterator[dict[str, Any]]:
    for fid, name, kind, count in feature_counts(label["annotations"]):
        yield {"featureSchemaId": fid, "name": name, "kind": kind, "count": count, **where}


ANNOTATION_KEYS = {
    "featureSchemaId": "featureSchemaId",
    "name": "name",
    "kind": "kind",
    "projectId": "project_id",
    "modelRunId": "model_run_id",
    "source": "source",
}


def _annotation(line: Line, cond: dict[str, Any], spec: CatalogSpec) -> bool:
    total = sum(
        f["count"]
        for f in _features(line)
        if all(f[ANNOTATION_KEYS[k]] == v for k, v in cond.items() if k in ANNOTATION_KEYS)
    )
    return cond.get("minCount", 1) <= total <= cond.get("maxCount", total)


def _metadata_value(field: Line, kind: str) -> Any:
    value = field["value"]
    return {"DATETIME": parse_iso, "ENUM": lambda v: v["schema_id"]}.get(kind, lambda v: v)(value)


def _metadata(line: Line, cond: dict[str, Any], spec: CatalogSpec) -> bool:
    schema_id = cond.get("schemaId") or spec.names[cond["name"]]
    kind = spec.kind_of[schema_id]
    values = [_metadata_value(f, kind) for f in line["metadata_fields"] if f["schema_id"] == schema_id]
    if "exists" in cond:
        return bool(values) == cond["exists"]
    return any(_metadata_matches(v, cond, kind, spec) for v in values)


def _scalar(raw: Any, kind: str, spec: CatalogSpec) -> Any:
    if kind == "DATETIME":
        return parse_iso(raw)
    return spec.names.get(raw, raw) if kind == "ENUM" else raw


def _metadata_matches(value: Any, cond: dict[str, Any], kind: str, spec: CatalogSpec) -> bool:
    ops = {k: v for k, v in cond.items() if k not in ("schemaId", "name")}
    checks = {
        "eq": lambda v: value == _scalar(v, kind, spec),
        "in": lambda v: value in [_scalar(x, kind, spec) for x in v],
        "contains": lambda v: v.lower() in value.lower(),
    }
    bounds = {op: v for op, v in ops.items() if op in ("gt", "gte", "lt", "lte")}
    rest = all(checks[op](v) for op, v in ops.items() if op in checks)
    return rest and _in_range(value, bounds, lambda b: _scalar(b, kind, spec))


def _project(line: Line, cond: dict[str, Any], spec: CatalogSpec) -> bool:
    return any(_membership(pid, entry, cond) for pid, entry in line["projects"].items())


def _membership(pid: str, entry: Line, cond: dict[str, Any]) -> bool:
    details = entry["project_details"]
    created = [label["label_details"]["created_at"] for label in entry["labels"]]
    checks = {
        "projectId": lambda v: pid == v,
        "batchIds": lambda v: details["batch_id"] in v,
        "workflowStatus": lambda v: details["workflow_status"] in v,
        "labeled": lambda v: bool(entry["labels"]) == v,
        "labelCreatedAt": lambda v: any(_in_range(parse_iso(c), v) for c in created),
    }
    return all(checks[k](v) for k, v in cond.items())


def _row(key: str) -> Callable[[Line, Any, CatalogSpec], bool]:
    return lambda line, values, spec: line["data_row"].get(key) in values  # left out of the line when unset


LEAVES: dict[str, Callable[[Line, Any, CatalogSpec], bool]] = {
    "ids": _row("id"),
    "globalKeys": _row("global_key"),
    "externalIds": _row("external_id"),
    "datasetIds": lambda line, v, spec: line["data_row"]["details"]["dataset_id"] in v,
    "mediaTypes": lambda line, v, spec: spec.media_types[line["data_row"]["id"]] in v,
    "createdAt": lambda line, v, spec: _in_range(parse_iso(line["data_row"]["details"]["created_at"]), v),
    "updatedAt": lambda line, v, spec: _in_range(parse_iso(line["data_row"]["details"]["updated_at"]), v),
    "modelRunIds": lambda line, v, spec: any(r in v for m in line["experiments"].values() for r in m["runs"]),
    "metadata": _metadata,
    "annotation": _annotation,
    "project": _project,
}


def matches(line: Line, tree: dict[str, Any], spec: CatalogSpec) -> bool:
    """Whether one exported line satisfies the filter dict (keys side by side: AND)."""
    logical = {
        "and": lambda v: all(matches(line, t, spec) for t in v),
        "or": lambda v: any(matches(line, t, spec) for t in v),
        "not": lambda v: not matches(line, v, spec),
    }
    return all(logical[k](v) if k in logical else LEAVES[k](line, v, spec) for k, v in tree.items())

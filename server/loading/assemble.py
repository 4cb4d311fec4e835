"""A page plus its related batches → dicts in the exact Export v2 line shape; stored JSON spliced as orjson.Fragment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from orjson import Fragment
from sqlalchemy import Row

from server.loading.formats import Envelope, envelope
from server.loading.interpolate import interpolate
from server.loading.plan import RowPlan
from server.loading.related import Grouped, vector_values
from server.timefmt import iso

Line = dict[str, Any]
EMPTY: list[Row[Any]] = []


DETAIL_KEYS = ("dataset_id", "dataset_name", "created_at", "updated_at", "last_activity_at", "created_by")


def _data_row_builder(fields: tuple[str, ...], plan: RowPlan, keys: Envelope) -> Callable[[Any], Line]:
    """`data_row` of a page row by position (looked up once per page: Row `_mapping` costs a dict per row)."""
    names, optional = keys.row_keys, tuple(keys.unset_left_out)
    get = itemgetter(*(fields.index(k) for k in names))

    def own_keys(r: Any) -> Line:
        out = dict(zip(names, get(r), strict=True))
        for key in optional:
            if out[key] is None:
                del out[key]
        return out

    if not plan.details:
        return own_keys
    d_id, d_name, d_created, d_updated, d_activity, d_by = (fields.index(k) for k in DETAIL_KEYS)

    def build(r: Any) -> Line:
        out = own_keys(r)
        out["details"] = {"dataset_id": r[d_id], "dataset_name": r[d_name], "created_at": iso(r[d_created]),
                          "updated_at": iso(r[d_updated]), "last_activity_at": iso(r[d_activity]),
                          "created_by": r[d_by]}  # fmt: skip
        return out

    return build


def _attachment(a: Any) -> Line:
    return {"id": a.id, "type": a.type, "value": a.value, "name": a.name}


def _metadata(m: Any) -> Line:
    return {"schema_id": m.schema_id, "schema_name": m.schema_name, "value": Fragment(m.value_json)}


def _embedding(e: Any) -> Line:
    return {
        "id": e.id,
        "name": e.name,
        "dimensions": e.dims,
        "is_custom": bool(e.is_custom),
        "values": [{"value": vector_values(e.vector)}],
    }


def _annotations(stored: str, plan: RowPlan) -> str | bytes:
    """Stored JSON as is; with interpolatedFrames, video labels get their in-between frames filled."""
    if plan.interpolated_frames and '"key_frame_feature_map"' in stored:
        return interpolate(stored)
    return stored


def label(lab: Any, plan: RowPlan, *, details: bool) -> Line:
    """One label or prediction; label/performance details only inside projects (`details`)."""
    out: Line = {"label_kind": lab.label_kind, "version": lab.version, "id": lab.id}
    if details and plan.label_details:
        out["label_details"] = {
            "created_at": iso(lab.created_at),
            "updated_at": iso(lab.updated_at),
            "created_by": lab.created_by,
            "content_last_updated_at": iso(lab.content_last_updated_at),
            "reviews": Fragment(lab.reviews),
        }
    if details and plan.performance_details:
        out["performance_details"] = Fragment(lab.performance_details)
    out["annotations"] = Fragment(_annotations(lab.annotations, plan))
    return out


def _project_details(m: Any) -> Line:
    return {
        "ontology_id": m.ontology_id,
        "task_id": m.task_id,
        "task_name": m.task_name,
        "batch_id": m.batch_id,
        "batch_name": m.batch_name,
        "priority": m.priority,
        "consensus_expected_label_count": m.consensus_expected_label_count,
        "workflow_status": m.workflow_status,
        "workflow_history": Fragment(m.workflow_history),
    }


def _projects(row_id: str, related: dict[str, Grouped], plan: RowPlan, keys: Envelope) -> Line:
    out: Line = {}
    for m in related.get("projects", {}).get(row_id, EMPTY):
        entry: Line = {keys.project_name: m.project_name, "labels": []}
        if plan.project_details:
            entry["project_details"] = _project_details(m)
        out[m.project_id] = entry
    for lab in related.get("project_labels", {}).get(row_id, EMPTY):
        if lab.project_id in out:
            out[lab.project_id]["labels"].append(label(lab, plan, details=True))
    return out


def _models(row_id: str, related: dict[str, Grouped], plan: RowPlan, keys: Envelope) -> Line:
    out: Line = {}
    runs: dict[str, Line] = {}
    for m in related.get("model_runs", {}).get(row_id, EMPTY):
        model = out.setdefault(m.model_id, {keys.model_name: m.model_name, keys.runs: {}})
        run: Line = {keys.run_name: m.model_run_name, keys.run_row_id: m.annotation_group_id, "labels": []}
        if plan.predictions:
            run["predictions"] = []
        model[keys.runs][m.model_run_id] = runs[m.model_run_id] = run
    for lab in related.get("model_run_labels", {}).get(row_id, EMPTY):
        target = runs.get(lab.model_run_id)
        if target is not None:
            target["labels" if lab.source == "LABEL" else "predictions"].append(label(lab, plan, details=False))
    return out


def _sections(row_id: str, related: dict[str, Grouped], plan: RowPlan) -> Iterator[tuple[str, Any]]:
    if plan.attachments:
        yield "attachments", [_attachment(a) for a in related["attachments"].get(row_id, EMPTY)]
    if plan.metadata_fields:
        yield "metadata_fields", [_metadata(m) for m in related["metadata_fields"].get(row_id, EMPTY)]
    if plan.embeddings:
        yield "embeddings", [_embedding(e) for e in related["embeddings"].get(row_id, EMPTY)]


def assemble(rows: list[Any], related: dict[str, Grouped], plan: RowPlan) -> list[Line]:
    """The export lines of one page, in page order."""
    if not rows:
        return []
    fields = tuple(rows[0]._fields)
    keys = envelope(plan.format)
    data_row, i_id = _data_row_builder(fields, plan, keys), fields.index("id")
    i_media = fields.index("media_attributes") if plan.media_attributes else None
    projects, models = not plan.projects.empty, not plan.models.empty
    sections = plan.attachments or plan.metadata_fields or plan.embeddings
    lines: list[Line] = []
    for row in rows:
        line: Line = {"data_row": data_row(row)}
        if i_media is not None:
            line["media_attributes"] = Fragment(row[i_media])
        if sections:
            line.update(_sections(row[i_id], related, plan))
        line["projects"] = _projects(row[i_id], related, plan, keys) if projects else {}
        line[keys.models] = _models(row[i_id], related, plan, keys) if models else {}
        lines.append(line)
    return lines

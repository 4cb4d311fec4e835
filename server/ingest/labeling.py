"""Projects, batches, workflow status and labels; labels are validated against the ontology before any write."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.errors import bad_input
from server.ingest.checks import (
    check_count,
    check_name,
    check_unique,
    require_data_rows,
    require_one,
    table,
    touch_rows,
)
from server.ingest.features import feature_counts
from server.ingest.ontology import load_features
from server.ingest.shapes import close_polygons, entity_token, label_kind, text_entities
from server.ingest.validate import validate_annotations
from server.models import Batch, DataRow, Label, LabelFeature, Ontology, Project, ProjectDataRow
from server.models.base import new_id, utcnow
from server.search.fulltext import reindex_rows
from server.timefmt import iso

M = table(ProjectDataRow).c
WORKFLOW_STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
TASK_NAME = "Initial labeling task"
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)  # a row_data that points at its text instead of holding it


async def create_project(
    engine: AsyncEngine, *, organization_id: str, name: str, media_type: str, ontology_id: str | None
) -> str:
    row: dict[str, Any] = {"id": new_id(), "organization_id": organization_id, "name": check_name(name, "name")}
    row |= {"media_type": media_type, "ontology_id": ontology_id, "created_at": utcnow()}
    async with engine.begin() as conn:
        if ontology_id is not None:
            await require_one(conn, Ontology, organization_id, ontology_id, "ontologyId")
        await conn.execute(table(Project).insert(), row)
    return row["id"]


async def members(conn: AsyncConnection, project_id: str, ids: Sequence[str]) -> set[str]:
    stmt = select(M.data_row_id).where(M.project_id == project_id, M.data_row_id.in_(sorted(set(ids))))
    return set((await conn.execute(stmt)).scalars())


def _batch_members(org: str, project_id: str, batch: dict[str, Any], ids: Sequence[str]) -> list[dict[str, Any]]:
    task = {"task_id": new_id(), "task_name": TASK_NAME, "workflow_status": "TO_LABEL", "workflow_history": "[]"}
    return [
        {"project_id": project_id, "data_row_id": i, "organization_id": org, "batch_id": batch["id"]}
        | {"priority": batch["priority"], "consensus_expected_label_count": 1, "last_activity_at": batch["created_at"]}
        | task
        for i in ids
    ]


async def create_batch(
    engine: AsyncEngine, *, organization_id: str, project_id: str, name: str, data_row_ids: list[str], priority: int
) -> str:
    """A batch queues rows in a project (status TO_LABEL); a row already in the project is BAD_USER_INPUT."""
    check_count(data_row_ids, "dataRowIds")
    check_unique(data_row_ids, "dataRowIds", "Data row")
    if not 1 <= priority <= 5:
        raise bad_input("priority runs from 1 (highest) to 5 (lowest).", "priority")
    batch: dict[str, Any] = {
        "id": new_id(),
        "organization_id": organization_id,
        "project_id": project_id,
        "name": check_name(name, "name"),
    }
    batch |= {"priority": priority, "created_at": utcnow()}
    async with engine.begin() as conn:
        await require_one(conn, Project, organization_id, project_id, "projectId")
        await require_data_rows(conn, organization_id, data_row_ids, "dataRowIds")
        already = await members(conn, project_id, data_row_ids)
        for index, ident in enumerate(data_row_ids):
            if ident in already:
                raise bad_input(f"Data row {ident!r} is already in this project.", f"dataRowIds.{index}")
        await conn.execute(table(Batch).insert(), batch)
        await conn.execute(
            table(ProjectDataRow).insert(), _batch_members(organization_id, project_id, batch, data_row_ids)
        )
    return batch["id"]


def _history_entry(status: str, created_by: str | None, now: Any) -> bytes:
    entry = {"action": "SET_STATUS", "status": status, "created_at": iso(now), "created_by": created_by}
    return orjson.dumps(entry)


def appended(history: str, entry: bytes) -> str:
    """`history` (a stored JSON list) with `entry` spliced in at the end, without re-encoding the stored text."""
    body = history.rstrip()[:-1].rstrip()
    return body + ("," if body != "[" else "") + entry.decode() + "]"


async def set_workflow_status(
    engine: AsyncEngine,
    *,
    organization_id: str,
    project_id: str,
    data_row_ids: list[str],
    status: str,
    created_by: str | None = None,
) -> int:
    """Move rows of a project to `status`, appending one entry to each row's workflow_history."""
    check_count(data_row_ids, "dataRowIds")
    now = utcnow()
    entry = _history_entry(status, created_by, now)
    async with engine.begin() as conn:
        await require_one(conn, Project, organization_id, project_id, "projectId")
        stmt = select(M.data_row_id, M.workflow_history).where(
            M.project_id == project_id, M.data_row_id.in_(sorted(set(data_row_ids)))
        )
        current: dict[str, str] = dict((await conn.execute(stmt)).all())  # data row id -> workflow history
        _require_members(data_row_ids, current, "dataRowIds")
        params = [{"row": i, "history": appended(h, entry)} for i, h in current.items()]
        values = {"workflow_status": status, "workflow_history": bindparam("history"), "last_activity_at": now}
        update_stmt = update(table(ProjectDataRow)).where(M.project_id == project_id, M.data_row_id == bindparam("row"))
        await conn.execute(update_stmt.values(values), params)
        await touch_rows(conn, current, now)
    return len(current)


def _require_members(ids: Sequence[str], found: Any, path: str, suffix: str = "") -> None:
    for index, ident in enumerate(ids):
        if ident not in found:
            message = f"Data row {ident!r} is not in this project; add it with createBatch first."
            raise bad_input(message, f"{path}.{index}" + (f".{suffix}" if suffix else ""))


@dataclass(frozen=True)
class LabeledRows:
    """What labels need of their data rows: the label_kind by media type, and the text of inline text rows."""

    kinds: dict[str, str]
    texts: dict[str, str]


async def labeled_rows(conn: AsyncConnection, ids: Sequence[str]) -> LabeledRows:
    rows = table(DataRow).c
    found = await conn.execute(select(rows.id, rows.media_type, rows.row_data).where(rows.id.in_(sorted(set(ids)))))
    kinds, texts = {}, {}
    for ident, media, data in found:
        kinds[ident] = label_kind(media)
        if media == "TEXT" and not URL.match(data):
            texts[ident] = data
    return LabeledRows(kinds, texts)


def _tokens(annotations: dict[str, Any], text: str | None, path: str) -> None:
    """Each TextEntity's `token` (the covered text) filled in from an inline text row, or checked against it."""
    if text is None:
        return
    for index, location in text_entities(annotations):
        where = f"{path}.objects.{index}.location"
        if location["end"] >= len(text):
            raise bad_input(f"The entity ends at character {location['end']}; the text has {len(text)}.", where)
        token = entity_token(text, location)
        if location.setdefault("token", token) != token:
            raise bad_input(f"token {location['token']!r} is not the text from start to end ({token!r}).", where)


def label_rows(
    org: str, labels: list[dict[str, Any]], scope: dict[str, Any], features: dict[str, Any], rows: LabeledRows
) -> dict:
    """Validated Label and LabelFeature rows; `scope` sets project_id or model_run_id and source; `rows` gives the
    label_kind of each row's labels (unless a label names its own) and the texts entity tokens come from."""
    out: dict[str, list[dict[str, Any]]] = {"labels": [], "features": []}
    now = utcnow()
    for index, lab in enumerate(labels):
        path = f"labels.{index}.annotations"
        validate_annotations(lab["annotations"], features, path)
        _tokens(lab["annotations"], rows.texts.get(lab["data_row_id"]), path)
        close_polygons(lab["annotations"])
        kind = lab.get("label_kind") or rows.kinds[lab["data_row_id"]]
        row = _label_row(org, lab | {"label_kind": kind}, scope, now, f"labels.{index}")
        out["labels"].append(row)
        out["features"] += [
            {"label_id": row["id"], "feature_schema_id": fid, "organization_id": org, "data_row_id": row["data_row_id"]}
            | {"project_id": row["project_id"], "model_run_id": row["model_run_id"], "source": row["source"]}
            | {"name": name, "kind": kind, "count": n}
            for fid, name, kind, n in _per_schema(lab["annotations"])
        ]
    return out


def _per_schema(annotations: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    merged: dict[str, tuple[str, str, str, int]] = {}
    for fid, name, kind, n in feature_counts(annotations):
        old = merged.get(fid)
        merged[fid] = (fid, name, kind, n + (old[3] if old else 0))
    return list(merged.values())


def _json_field(lab: dict[str, Any], key: str, kind: type, default: str, path: str) -> str:
    value = lab.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise bad_input(f"Expected a JSON {'list' if kind is list else 'object'}.", path)
    return orjson.dumps(value).decode()


def _label_row(org: str, lab: dict[str, Any], scope: dict[str, Any], now: Any, path: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": org,
        "data_row_id": lab["data_row_id"],
        "project_id": None,
        "model_run_id": None,
        "source": "LABEL",
        **scope,
        "label_kind": lab["label_kind"],
        "version": "1.0.0",
        "created_at": now,
        "updated_at": now,
        "content_last_updated_at": now,
        "created_by": lab.get("created_by"),
        "reviews": _json_field(lab, "reviews", list, "[]", f"{path}.reviews"),
        "performance_details": _json_field(lab, "performance_details", dict, "{}", f"{path}.performanceDetails"),
        "annotations": orjson.dumps(lab["annotations"]).decode(),
    }


async def insert_labels(conn: AsyncConnection, rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    if rows["labels"]:
        await conn.execute(table(Label).insert(), rows["labels"])
        await touch_rows(conn, (r["data_row_id"] for r in rows["labels"]), rows["labels"][0]["created_at"])
    if rows["features"]:
        await conn.execute(table(LabelFeature).insert(), rows["features"])
        await reindex_rows(conn, [f["data_row_id"] for f in rows["features"]])  # feature names and answers
    return [r["id"] for r in rows["labels"]]


async def create_labels(
    engine: AsyncEngine, *, organization_id: str, project_id: str, labels: list[dict[str, Any]]
) -> list[str]:
    """Labels of rows already in the project, each checked against the project's ontology; all or nothing."""
    check_count(labels, "labels")
    async with engine.begin() as conn:
        project = await require_one(conn, Project, organization_id, project_id, "projectId")
        row_ids = [lab["data_row_id"] for lab in labels]
        await require_data_rows(conn, organization_id, row_ids, "labels", "dataRowId")
        already = await members(conn, project_id, row_ids)
        _require_members(row_ids, already, "labels", suffix="dataRowId")
        features = await load_features(conn, project.ontology_id)
        rows = label_rows(
            organization_id, labels, {"project_id": project_id}, features, await labeled_rows(conn, row_ids)
        )
        return await insert_labels(conn, rows)

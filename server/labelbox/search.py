"""The SDK's `searchQuery.query` items (its export filters) → our camelCase DataRowFilter dict.

In a project export, batches, workflow status and the date ranges are conditions on the row's state in that
project; in a catalog export the date ranges mean "in any project" (labels) or "the row or any project" (activity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.errors import bad_input
from server.labelbox.dates import date_range

Filter = dict[str, Any]

# The SDK's WorkflowStatus names (sent as task_queue_status) → ours; ToLabel arrives as task_queue_not_exist.
WORKFLOW_STATUS = {"InReview": "IN_REVIEW", "InRework": "IN_REWORK", "Done": "DONE"}
ID_LEAVES = {"dataset": "datasetIds", "data_row_id": "ids", "global_key": "globalKeys"}


@dataclass
class Conditions:
    """What the items add up to: top-level conditions and the parts of one project condition."""

    in_project: bool
    top: list[Filter] = field(default_factory=list)
    project: Filter = field(default_factory=dict)

    def add_project_part(self, key: str, value: Any, path: str) -> None:
        if key in self.project:
            raise bad_input(f"{path} repeats a {key} condition; give it once.", path)
        self.project[key] = value

    def require_project(self, path: str, what: str) -> None:
        if not self.in_project:
            raise bad_input(f"{path}: {what} filters only apply to a project export.", path)


def _ids(item: Filter, path: str) -> list[str]:
    if item.get("operator", "is") != "is":
        raise bad_input(f"{path}.operator {item.get('operator')!r} is not supported; only 'is'.", path)
    ids = item.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise bad_input(f"{path}.ids must be a non-empty list of strings.", path)
    return ids


def _id_leaf(leaf: str) -> Callable[[Filter, str, Conditions], None]:
    return lambda item, path, acc: acc.top.append({leaf: _ids(item, path)})


def _batch(item: Filter, path: str, acc: Conditions) -> None:
    acc.require_project(path, "batch")
    acc.add_project_part("batchIds", _ids(item, path), path)


def _workflow(status: str, path: str, acc: Conditions) -> None:
    acc.require_project(path, "workflow_status")
    acc.add_project_part("workflowStatus", [status], path)


def _queue_status(item: Filter, path: str, acc: Conditions) -> None:
    status = item.get("status")
    if status not in WORKFLOW_STATUS:
        raise bad_input(f"{path}.status {status!r} is not one of {sorted(WORKFLOW_STATUS)}.", path)
    _workflow(WORKFLOW_STATUS[status], path, acc)


def _labeled_at(item: Filter, path: str, acc: Conditions) -> None:
    span = date_range(item.get("value"), f"{path}.value")
    if acc.in_project:
        acc.add_project_part("labelCreatedAt", span, path)
    else:
        acc.top.append({"project": {"labelCreatedAt": span}})


def _last_activity(item: Filter, path: str, acc: Conditions) -> None:
    span = date_range(item.get("value"), f"{path}.value")
    if acc.in_project:
        acc.add_project_part("lastActivityAt", span, path)
    else:
        acc.top.append({"or": [{"updatedAt": span}, {"project": {"lastActivityAt": span}}]})


ITEMS: dict[str, Callable[[Filter, str, Conditions], None]] = {
    **{kind: _id_leaf(leaf) for kind, leaf in ID_LEAVES.items()},
    "batch": _batch,
    "task_queue_not_exist": lambda item, path, acc: _workflow("TO_LABEL", path, acc),
    "task_queue_status": _queue_status,
    "labeled_at": _labeled_at,
    "data_row_last_activity_at": _last_activity,
}


def _apply(item: Any, path: str, acc: Conditions) -> None:
    kind = item.get("type") if isinstance(item, dict) else None
    handler = ITEMS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise bad_input(f"{path}.type {kind!r} is not a filter this server knows; known: {sorted(ITEMS)}.", path)
    handler(item, path, acc)


def search_filter(items: list[Any] | None, project_id: str | None = None, path: str = "filters") -> Filter | None:
    """The filter the items mean (all together); a project export always holds `project: {projectId}`."""
    acc = Conditions(in_project=project_id is not None)
    for i, item in enumerate(items or []):
        _apply(item, f"{path}.searchQuery.query.{i}", acc)
    if project_id is not None:
        acc.top.append({"project": {"projectId": project_id, **acc.project}})
    if not acc.top:
        return None
    return acc.top[0] if len(acc.top) == 1 else {"and": acc.top}

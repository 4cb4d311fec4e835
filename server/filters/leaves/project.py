"""The project leaf: a row's membership in a project (batch, workflow status, activity) and its labels there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select

from server.errors import bad_input
from server.filters.leaves.spec import LeafSpec
from server.filters.values import FilterLimits, datetime_range, enum_list, known_keys, string_list
from server.models import Label, ProjectDataRow

P = ProjectDataRow.__table__.c
L = Label.__table__.c
WORKFLOW_STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
KEYS = ("projectId", "batchIds", "workflowStatus", "labeled", "labelCreatedAt", "lastActivityAt")


def _project_id(value: Any, path: str, limits: FilterLimits) -> str:
    if not isinstance(value, str):
        raise bad_input(f"{path} must be a project id (a string).", path)
    return value


def _flag(value: Any, path: str, limits: FilterLimits) -> bool:
    if not isinstance(value, bool):
        raise bad_input(f"{path} must be true or false.", path)
    return value


CHECKS = {
    "projectId": _project_id,
    "batchIds": string_list,
    "workflowStatus": enum_list(WORKFLOW_STATUSES),
    "labeled": _flag,
    "labelCreatedAt": datetime_range,
    "lastActivityAt": datetime_range,
}


def check(value: Any, path: str, limits: FilterLimits) -> dict[str, Any]:
    present = known_keys(value, path, KEYS)
    return {key: CHECKS[key](v, f"{path}.{key}", limits) for key, v in present.items()}


def _labels(*conditions: Any) -> Any:
    return exists(select(L.id).where(L.data_row_id == P.data_row_id, L.project_id == P.project_id, *conditions))


CONDITIONS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "projectId": lambda v: P.project_id == v,
    "batchIds": lambda v: P.batch_id.in_(v),
    "workflowStatus": lambda v: P.workflow_status.in_(v),
    "labeled": lambda v: _labels() if v else ~_labels(),
    "labelCreatedAt": lambda v: _labels(v.clause(L.created_at)),
    "lastActivityAt": lambda v: v.clause(P.last_activity_at),
}


# Set by server.query.names for batchIds without a projectId: each batch of the organization with its project.
BATCH_PROJECTS = "batchProjects"


def rows(checked: dict[str, Any], org: str) -> Select[Any]:
    conditions = [CONDITIONS[key](v) for key, v in checked.items() if key in CONDITIONS]
    return select(P.data_row_id).where(P.organization_id == org, *conditions)


PROJECT_LEAVES = {"project": LeafSpec(check, rows=rows)}

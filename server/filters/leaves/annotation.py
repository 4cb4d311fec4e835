"""The annotation leaf: rows whose labels or predictions use a feature, read from the normalized feature index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from server.errors import bad_input
from server.filters.leaves.spec import LeafSpec
from server.filters.values import FilterLimits, known_keys
from server.models import LabelFeature

F = LabelFeature.__table__.c
MATCH_COLUMNS = {
    "featureSchemaId": "feature_schema_id",
    "name": "name",
    "kind": "kind",
    "projectId": "project_id",
    "modelRunId": "model_run_id",
    "source": "source",
}
SOURCES = ("LABEL", "PREDICTION")


@dataclass(frozen=True)
class AnnotationMatch:
    """Feature-index columns that must equal the given values; the row's summed count in [min_count, max_count]."""

    equals: tuple[tuple[str, str], ...]
    min_count: int = 1
    max_count: int | None = None


def _count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_input(f"{path} must be a whole number, 0 or more.", path)
    return value


def check(value: Any, path: str, limits: FilterLimits) -> AnnotationMatch:
    present = known_keys(value, path, (*MATCH_COLUMNS, "minCount", "maxCount"))
    for key in MATCH_COLUMNS:
        if key in present and not isinstance(present[key], str):
            raise bad_input(f"{path}.{key} must be a string.", f"{path}.{key}")
    if present.get("source", "LABEL") not in SOURCES:
        raise bad_input(f"{path}.source must be LABEL or PREDICTION.", f"{path}.source")
    low = _count(present.get("minCount", 1), f"{path}.minCount")
    high = None if "maxCount" not in present else _count(present["maxCount"], f"{path}.maxCount")
    if high is not None and high < low:
        raise bad_input(f"{path}: minCount {low} is above maxCount {high}; no row can match.", f"{path}.maxCount")
    equals = tuple((MATCH_COLUMNS[k], present[k]) for k in MATCH_COLUMNS if k in present)
    return AnnotationMatch(equals, low, high)


def _features(match: AnnotationMatch, org: str) -> Select[Any]:
    return select(F.data_row_id).where(F.organization_id == org, *(F[c] == v for c, v in match.equals))


def rows(match: AnnotationMatch, org: str) -> Select[Any] | None:
    """The rows with at least minCount (≥ 1) matching instances; None for minCount 0 (no row needs a feature)."""
    if match.min_count == 0:
        return None
    if match.min_count == 1 and match.max_count is None:
        return _features(match, org)
    total = func.sum(F.count)
    having = [total >= match.min_count] + ([total <= match.max_count] if match.max_count is not None else [])
    return _features(match, org).group_by(F.data_row_id).having(*having)


def absent(match: AnnotationMatch, org: str) -> Select[Any] | None:
    """For minCount 0 with a maxCount: the rows with more matching instances than it (they must not match)."""
    if match.min_count > 0 or match.max_count is None:
        return None
    return _features(match, org).group_by(F.data_row_id).having(func.sum(F.count) > match.max_count)


ANNOTATION_LEAVES = {"annotation": LeafSpec(check, rows=rows, absent=absent)}

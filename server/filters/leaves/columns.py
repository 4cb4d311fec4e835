"""Leaves on the datarow table itself and on model-run membership."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, select

from server.filters.leaves.spec import LeafSpec, T
from server.filters.values import datetime_range, enum_list, string_list
from server.models import ModelRunDataRow
from server.models.catalog import MediaType

M = ModelRunDataRow.__table__.c


def in_list(column: Any) -> LeafSpec:
    """`IS NOT NULL` keeps the condition two-valued, so `not` over a nullable column keeps rows without a value."""
    if column.nullable:
        return LeafSpec(string_list, lambda values, org: and_(column.is_not(None), column.in_(values)))
    return LeafSpec(string_list, lambda values, org: column.in_(values))


def in_range(column: Any) -> LeafSpec:
    return LeafSpec(datetime_range, lambda rng, org: rng.clause(column))


def _model_run_rows(run_ids: list[str], org: str) -> Select[Any]:
    """The runs were resolved to the organization's own, so their rows are its rows; the primary key serves it."""
    return select(M.data_row_id).where(M.model_run_id.in_(run_ids))


COLUMN_LEAVES: dict[str, LeafSpec] = {
    "ids": in_list(T.id),
    "globalKeys": in_list(T.global_key),
    "externalIds": in_list(T.external_id),
    "datasetIds": in_list(T.dataset_id),
    "mediaTypes": LeafSpec(enum_list(m.value for m in MediaType), lambda values, org: T.media_type.in_(values)),
    "createdAt": in_range(T.created_at),
    "updatedAt": in_range(T.updated_at),
    "modelRunIds": LeafSpec(string_list, rows=_model_run_rows),
}

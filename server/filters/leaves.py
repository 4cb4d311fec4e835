"""Leaf builders: a DataRowFilter field → SQL condition on the datarow table (relations as EXISTS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement

from server.errors import bad_input
from server.models import DataRow

T = DataRow.__table__.c  # type: ignore[attr-defined]

LeafBuilder = Callable[[Any, str], ColumnElement[bool]]


def _string_list(value: Any, path: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad_input(f"{path} must be a non-empty list.", path)
    if not all(isinstance(v, str) for v in value):
        raise bad_input(f"{path} must list strings.", path)
    return value


def in_list(column: Any) -> LeafBuilder:
    return lambda value, path: column.in_(_string_list(value, path))


LEAVES: dict[str, LeafBuilder] = {
    "ids": in_list(T.id),
    "globalKeys": in_list(T.global_key),
    "externalIds": in_list(T.external_id),
    "datasetIds": in_list(T.dataset_id),
    "mediaTypes": in_list(T.media_type),
}

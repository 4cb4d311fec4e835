"""LeafSpec: how one DataRowFilter field is checked and compiled (both pure; the names a leaf refers to are looked up
before compile by server.query.names)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select

from server.filters.values import FilterLimits
from server.models import DataRow

T = DataRow.__table__.c

Check = Callable[[Any, str, FilterLimits], Any]
Build = Callable[[Any, str], ColumnElement[bool]]
Rows = Callable[[Any, str], Select[Any] | None]


@dataclass(frozen=True)
class LeafSpec:
    """`check(value, path, limits)` validates the shape; a column leaf's `build(value, org)` turns the (resolved)
    value into a condition on the datarow table. A relation leaf gives SELECTs of data row ids instead, which the
    compiler tests (`datarow.id IN (…)` or a probe): `rows(value, org)`, the rows that match, or None when this value
    names no such set; `absent(value, org)`, the rows that must not match, or None; a value with neither admits every
    row. Either set holds the organization's rows only (its
    conditions, or its resolved value, scope it), so a count may skip the datarow table."""

    check: Check
    build: Build | None = None
    rows: Rows | None = None
    absent: Rows | None = None

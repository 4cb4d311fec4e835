"""LeafSpec: how one DataRowFilter field is checked (pure), resolved against the DB (optional) and compiled (pure)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.filters.values import FilterLimits
from server.models import DataRow

T = DataRow.__table__.c  # type: ignore[attr-defined]

Check = Callable[[Any, str, FilterLimits], Any]
Resolve = Callable[[AsyncConnection, str, Any, str], Awaitable[Any]]
Build = Callable[[Any, str], ColumnElement[bool]]
RowIds = Callable[[Any, str], Select[Any] | None]


@dataclass(frozen=True)
class LeafSpec:
    """`check(value, path, limits)` validates the shape; `resolve(conn, org, value, path)` looks names up;
    `build(value, org)` turns the (resolved) value into a condition on the datarow table; `row_ids(value, org)`,
    for relation leaves, is the select of matching data_row_ids when `build` is `datarow.id IN (that select)` (None
    otherwise), so an AND of several can intersect their sets in SQL."""

    check: Check
    build: Build
    resolve: Resolve | None = None
    row_ids: RowIds | None = None

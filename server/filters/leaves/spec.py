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
Rows = Callable[[Any, str], Select[Any] | None]


@dataclass(frozen=True)
class LeafSpec:
    """`check(value, path, limits)` validates the shape; `resolve(conn, org, value, path)` looks names up;
    `build(value, org)` turns the (resolved) value into a condition on the datarow table; for a relation leaf,
    `rows(value, org)` is the SELECT of the matching rows' ids that `build` tests with `datarow.id IN (…)`, or None
    when this value compiles to something else; `absent(value, org)`, where `build` is `datarow.id NOT IN (…)`, is
    that SELECT of the rows that must not match. `tenant_rows` says those ids are the organization's only (its
    conditions scope them), so a count may skip the datarow table."""

    check: Check
    build: Build
    resolve: Resolve | None = None
    rows: Rows | None = None
    tenant_rows: bool = True
    absent: Rows | None = None


def semi_join(check: Check, rows: Rows, tenant_rows: bool = True) -> LeafSpec:
    """A relation leaf whose values always compile to `datarow.id IN (rows)`."""
    return LeafSpec(check, lambda value, org: T.id.in_(rows(value, org)), rows=rows, tenant_rows=tenant_rows)

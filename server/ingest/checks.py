"""Shared checks of ingest writes: ids that must exist in the caller's organization, one statement per id set."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input, limit_exceeded, not_found

MAX_BATCH = 1000


def table(model: Any) -> Any:
    return model.__table__


async def require_one(conn: AsyncConnection, model: Any, org: str, ident: str, path: str) -> Any:
    """The row `ident` of `model` in organization `org`, or NOT_FOUND naming `path`."""
    t = table(model).c
    row = (await conn.execute(select(table(model)).where(t.id == ident, t.organization_id == org))).first()
    if row is None:
        raise not_found(model.__name__, ident, path)
    return row


async def require_data_rows(conn: AsyncConnection, org: str, ids: Sequence[str], path: str, suffix: str = "") -> None:
    """Every id names a data row of `org` (NOT_FOUND on the first one that does not: `path.<index>.suffix`)."""
    from server.models import DataRow

    t = table(DataRow).c
    found = set(
        (await conn.execute(select(t.id).where(t.organization_id == org, t.id.in_(sorted(set(ids)))))).scalars()
    )
    for index, ident in enumerate(ids):
        if ident not in found:
            raise not_found("DataRow", ident, f"{path}.{index}" + (f".{suffix}" if suffix else ""))


def check_count(items: Sequence[Any], path: str, limit: int = MAX_BATCH) -> None:
    if len(items) > limit:
        raise limit_exceeded(f"{len(items)} items given; one call takes at most {limit}. Split the input.", path)


def check_unique(values: Iterable[str | None], path: str, what: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value is not None and value in seen:
            raise bad_input(f"{what} {value!r} appears twice in this call.", f"{path}.{index}")
        if value is not None:
            seen.add(value)


def check_name(name: str, path: str) -> str:
    if not name.strip():
        raise bad_input("A name must not be empty.", path)
    return name


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


async def touch_rows(conn: AsyncConnection, ids: Iterable[str], at: Any) -> None:
    """Record activity on data rows (details.last_activity_at): labels, workflow moves, edits."""
    from server.models import DataRow

    rows = table(DataRow).c
    await conn.execute(update(table(DataRow)).where(rows.id.in_(sorted(set(ids)))).values(last_activity_at=at))

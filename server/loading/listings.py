"""Catalog entities for listings and lookups: keyset pages on id, and their children in one statement per page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class ListingPage:
    """A keyset page of a catalog entity's rows on id (datasets, projects, ...): the cursor is the last row's id.
    Not a page of data rows: that is server.loading.pages.Page, with cursors that encode the order."""

    rows: list[Row[Any]]
    has_next: bool


def _c(model: Any) -> Any:
    return model.__table__.c


async def page(
    conn: AsyncConnection, model: Any, org: str, first: int, after: str | None, where: Sequence[Any] = ()
) -> ListingPage:
    """`first` rows of `model` in `org` with id after `after`, ordered by id (the cursor is the last id)."""
    c = _c(model)
    stmt = select(model.__table__).where(c.organization_id == org, *where)
    if after is not None:
        stmt = stmt.where(c.id > after)
    rows = list((await conn.execute(stmt.order_by(c.id).limit(first + 1))).all())
    return ListingPage(rows[:first], len(rows) > first)


async def by_id(conn: AsyncConnection, model: Any, org: str, ident: str) -> Row[Any] | None:
    c = _c(model)
    return (await conn.execute(select(model.__table__).where(c.organization_id == org, c.id == ident))).first()


async def children(conn: AsyncConnection, model: Any, key: str, parent_ids: Sequence[str]) -> dict[str, list[Row[Any]]]:
    """Rows of `model` whose `key` column is one of `parent_ids`, grouped by it (by position, creation or name)."""
    c = _c(model)
    order = next(c[name] for name in ("position", "created_at", "name") if name in c)
    stmt = select(model.__table__).where(c[key].in_(list(parent_ids))).order_by(c[key], order, c.id)
    grouped: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in (await conn.execute(stmt)).all():
        grouped[row._mapping[key]].append(row)
    return grouped

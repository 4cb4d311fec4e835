"""Keyset pages of data rows: one SELECT per page, `LIMIT first + 1`, opaque cursors stable under inserts."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import ColumnElement, Row, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.util import ClauseAdapter

from server.errors import bad_input
from server.loading.plan import RowPlan
from server.models import DataRow, Dataset
from server.timefmt import export_time

if TYPE_CHECKING:
    from server.filters.compile import Probed

T = DataRow.__table__.c
D = Dataset.__table__.c


class OrderField(StrEnum):
    ID = "ID"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    GLOBAL_KEY = "GLOBAL_KEY"


ORDER_COLUMNS: dict[OrderField, Any] = {
    OrderField.ID: None,
    OrderField.CREATED_AT: T.created_at,
    OrderField.UPDATED_AT: T.updated_at,
    OrderField.GLOBAL_KEY: func.coalesce(T.global_key, ""),
}


@dataclass(frozen=True)
class Order:
    field: OrderField = OrderField.ID
    descending: bool = False

    @property
    def key(self) -> str:
        return f"{self.field.value} {'DESC' if self.descending else 'ASC'}"


DEFAULT_ORDER = Order()


@dataclass(frozen=True)
class Page:
    """A keyset page of data rows in an `Order`; cursors are encoded on demand (an export needs only the last one).
    Other entities' listings page on id alone: server.loading.listings.ListingPage."""

    rows: Sequence[Row[Any]]
    has_next: bool
    order: Order = DEFAULT_ORDER
    sorted_by: bool = False

    def _cursor(self, row: Row[Any]) -> str:
        return encode_cursor(self.order, row._mapping["_sort"] if self.sorted_by else None, row.id)

    @property
    def cursors(self) -> list[str]:
        return [self._cursor(r) for r in self.rows]

    @property
    def start_cursor(self) -> str | None:
        return self._cursor(self.rows[0]) if self.rows else None

    @property
    def end_cursor(self) -> str | None:
        return self._cursor(self.rows[-1]) if self.rows else None


BASE_COLUMNS = (T.id, T.external_id, T.global_key, T.row_data)
# Timestamps formatted by PostgreSQL, as stored text on SQLite: timefmt.iso passes or slices them (export_time).
DETAIL_COLUMNS = (
    T.dataset_id,
    D.name.label("dataset_name"),
    export_time(T.created_at).label("created_at"),
    export_time(T.updated_at).label("updated_at"),
    export_time(func.coalesce(T.last_activity_at, T.updated_at)).label("last_activity_at"),
    T.created_by,
)


def page_columns(plan: RowPlan) -> list[Any]:
    columns: list[Any] = list(BASE_COLUMNS)
    if plan.details:
        columns += DETAIL_COLUMNS
    if plan.media_attributes:
        columns.append(T.media_attributes)
    return columns


# What a cursor's sort value may be for each order (a forged cursor with anything else is refused, never bound).
CURSOR_SORT_TYPES: dict[OrderField, tuple[type, ...]] = {
    OrderField.ID: (type(None),),
    OrderField.CREATED_AT: (str,),
    OrderField.UPDATED_AT: (str,),
    OrderField.GLOBAL_KEY: (str, type(None)),
}


def encode_cursor(order: Order, sort_value: Any, row_id: str) -> str:
    """The order travels inside the cursor, so a cursor from another orderBy is refused instead of misread."""
    if isinstance(sort_value, datetime):
        sort_value = sort_value.isoformat()
    return base64.urlsafe_b64encode(orjson.dumps([order.key, sort_value, row_id])).decode()


def decode_cursor(cursor: str, order: Order) -> tuple[Any, str]:
    try:
        key, sort_value, row_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, str) or not isinstance(row_id, str):
            raise ValueError(cursor)
        if key != order.key:
            raise bad_input(f"`after` belongs to orderBy {key}, not {order.key}; restart paging without it.", "after")
        if not isinstance(sort_value, CURSOR_SORT_TYPES[order.field]):
            raise ValueError(cursor)
        if order.field in (OrderField.CREATED_AT, OrderField.UPDATED_AT):
            sort_value = datetime.fromisoformat(str(sort_value))  # a str: CURSOR_SORT_TYPES
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise bad_input("`after` is not a cursor this query returned; pass a pageInfo.endCursor.", "after") from exc
    return sort_value, row_id


def _after_clause(order: Order, cursor: str) -> ColumnElement[bool]:
    sort_value, row_id = decode_cursor(cursor, order)
    column = ORDER_COLUMNS[order.field]
    if column is None:
        return T.id < row_id if order.descending else T.id > row_id
    if order.descending:
        return or_(column < sort_value, and_(column == sort_value, T.id < row_id))
    return or_(column > sort_value, and_(column == sort_value, T.id > row_id))


def _keys(order: Order) -> list[Any]:
    column = ORDER_COLUMNS[order.field]
    return [T.id] if column is None else [column, T.id]


def _order_by(order: Order) -> list[Any]:
    keys = _keys(order)
    return [k.desc() for k in keys] if order.descending else keys


# How many rows after the cursor a SQLite page probes per row before it falls back to the relation sets, per row
# of the page (a density of 1 in 500 still fills the page from probes), and at most.
PROBE_WINDOW_PER_ROW = 500
PROBE_WINDOW_MAX = 100_000
# The orders an index walks (organization_id, sort value, id), so a page stops early and so does its window.
PROBED_ORDERS = frozenset({OrderField.ID, OrderField.CREATED_AT, OrderField.UPDATED_AT})


def _window(probe: Probed, order: Order, after: str | None, rows: int) -> tuple[Any, Any]:
    """Conditions for the rows up to the `rows`-th of the organization after the cursor in the page's order (all
    the rest when fewer remain) and for the rows beyond it: each sort key of that row is one subquery on the same
    index, computed once per statement."""
    window = DataRow.__table__.alias("page_window")
    adapt = ClauseAdapter(window).traverse
    bound = select(window.c.id).where(window.c.organization_id == probe.organization_id)
    if after:
        bound = bound.where(adapt(_after_clause(order, after)))
    bound = bound.order_by(*(adapt(k) for k in _order_by(order))).offset(rows - 1).limit(1)
    keys = _keys(order)
    ends = [func.coalesce(bound.with_only_columns(adapt(k)).scalar_subquery(), k) for k in keys]
    row, end = tuple_(*keys), tuple_(*ends)
    return (row >= end, row < end) if order.descending else (row <= end, row > end)


def _probed(probe: Probed, order: Order, after: str | None, first: int) -> Any:
    """`where` for a SQLite page that stops early: SQLite builds an `IN (subquery)` set whole before it tests the
    first row, so rows within a window after the cursor are tested by probes (`EXISTS`, a few index look-ups each)
    and only rows beyond it by the sets, which SQLite then builds on first use, that is only when the window did
    not fill the page (a sparse filter). Both branches admit exactly the same rows."""
    return probe.split(*_window(probe, order, after, min((first + 1) * PROBE_WINDOW_PER_ROW, PROBE_WINDOW_MAX)))


def _page_where(
    conn: AsyncConnection,
    where: ColumnElement[bool],
    probe: Probed | None,
    order: Order,
    after: str | None,
    first: int,
) -> Any:
    """PostgreSQL plans the sets itself (a fast-start semi-join); orders no index walks keep the sets."""
    if probe is None or conn.dialect.name != "sqlite" or order.field not in PROBED_ORDERS:
        return where
    return _probed(probe, order, after, first)


async def load_page(
    conn: AsyncConnection,
    where: ColumnElement[bool],
    plan: RowPlan,
    first: int,
    after: str | None = None,
    order: Order = DEFAULT_ORDER,
    probe: Probed | None = None,
) -> Page:
    """One page of data rows matching `where` (already scoped to an organization), in keyset order; `probe` is the
    same rows with relation sets probed per row (Scope.probe), used where it pays (`_page_where`)."""
    sort_column = ORDER_COLUMNS[order.field]
    columns = page_columns(plan)
    if sort_column is not None:
        columns.append(sort_column.label("_sort"))
    stmt = select(*columns).where(_page_where(conn, where, probe, order, after, first))
    if plan.details:
        stmt = stmt.join_from(DataRow.__table__, Dataset.__table__, D.id == T.dataset_id)
    if after:
        stmt = stmt.where(_after_clause(order, after))
    rows = (await conn.execute(stmt.order_by(*_order_by(order)).limit(first + 1))).all()
    has_next = len(rows) > first
    rows = rows[:first]
    return Page(rows=rows, has_next=has_next, order=order, sorted_by=sort_column is not None)

"""The Query root: each resolver parses, plans, loads one page and returns plain objects."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.filters import DataRowFilter, filter_dict
from resolvers.selection import plan_from_info, selected_fields
from resolvers.types.data_rows import DataRow, DataRowConnection, PageInfo
from resolvers.types.exports import ExportTask
from server.db import read_connection
from server.errors import bad_input, limit_exceeded, not_found
from server.export.tasks import get_task, recent_tasks
from server.filters.leaves.ranking import RANKING_NAMES
from server.filters.values import FilterLimits
from server.loading.assemble import Line
from server.loading.lines import LinePage, load_lines
from server.loading.pages import Order, OrderField, Page, decode_cursor
from server.loading.plan import RowPlan
from server.query.count import count_rows
from server.query.scope import Scope, request_where

Info = strawberry.Info[Context, None]

MAX_RECENT_TASKS = 100
# A connection selecting only these reads no page: its count is the one statement it needs.
COUNT_ONLY = frozenset({"totalCount", "__typename"})
DataRowOrderField = strawberry.enum(OrderField, name="DataRowOrderField")


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class DataRowOrder:
    field: DataRowOrderField  # type: ignore[valid-type]  # strawberry.enum gives OrderField back, named for GraphQL
    direction: SortDirection = SortDirection.ASC


def _check_first(first: int, ctx: Context) -> None:
    if first < 0:
        raise bad_input("`first` must be 0 or more.", "first")
    if first > ctx.settings.max_page_size:
        raise limit_exceeded(
            f"`first` is {first}; pages hold at most {ctx.settings.max_page_size} rows. "
            "Page with `after`, or use exportDataRows for bulk reads.",
            "first",
        )


def _check_order(scope: Scope, order: Order | None) -> Order:
    if order is not None and scope.ranking is not None:
        raise bad_input(
            "orderBy cannot be combined with a search or similarTo condition: ranked rows come best first; "
            "drop orderBy.",
            "orderBy",
        )
    return order or Order()


def _score(scope: Scope, line: Line) -> float | None:
    return None if scope.ranking is None else scope.ranking.score(line["data_row"]["id"])


def _names_ranking(value: Any) -> bool:
    if isinstance(value, dict):
        return any(key in RANKING_NAMES or _names_ranking(v) for key, v in value.items())
    return isinstance(value, list) and any(_names_ranking(v) for v in value)


def _may_rank(where_args: dict[str, Any]) -> bool:
    """Whether the rows may be ranked (a similarTo or search leaf in the filter, or maybe in a saved slice): ranking
    streams its candidates through a server-side cursor, which PostgreSQL opens only inside a transaction. Other
    pages read in autocommit (server.db.read_connection): no BEGIN and ROLLBACK round trips."""
    return where_args.get("slice_id") is not None or _names_ranking(where_args.get("filter"))


def _no_page(scope: Scope, plan: RowPlan, after: str | None, order: Order) -> LinePage:
    """The page of a connection that selects only its count: not read, its cursor still checked."""
    if after is not None and scope.ranking is None:
        decode_cursor(after, order)
    return LinePage(Page(rows=[], has_next=False, order=order), plan)


async def _connection(
    info: Info, where_args: dict, first: int, after: str | None, order: Order | None, page: bool = True
) -> DataRowConnection:
    """`page=False`: only the count is selected, so no page is read."""
    ctx = info.context
    plan = plan_from_info(info._raw_info)
    opened = ctx.engine.connect() if _may_rank(where_args) else read_connection(ctx.engine)
    async with opened as conn:
        scope = await request_where(conn, ctx.organization_id, **where_args, limits=FilterLimits.of(ctx.settings))
        order = _check_order(scope, order)
        if page:
            result = await load_lines(conn, scope.where, plan, first, after, order, scope.ranking, scope.probe)
        else:
            result = _no_page(scope, plan, after, order)

    async def count() -> int:
        async with read_connection(ctx.engine) as conn:
            return await count_rows(conn, scope)

    nodes = [DataRow.from_line(line, _score(scope, line)) for line in result.lines]
    return DataRowConnection(
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=result.page.has_next,
            end_cursor=result.page.end_cursor,
            has_previous_page=after is not None,
            start_cursor=result.page.start_cursor,
        ),
        _page=result.page,
        _count=count,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="A keyset page of data rows matching the filter and/or slice (both: AND). With a search or "
        "similarTo condition the rows come best first with a score, the cursor is a rank position and orderBy "
        "is refused."
    )
    async def data_rows(
        self,
        info: Info,
        filter: DataRowFilter | None = None,
        slice: ID | None = None,
        first: int | None = 100,
        after: str | None = None,
        order_by: DataRowOrder | None = None,
    ) -> DataRowConnection:
        first = 100 if first is None else first
        _check_first(first, info.context)
        order = None if order_by is None else Order(order_by.field, order_by.direction == SortDirection.DESC)
        where = {"filter": filter_dict(filter), "slice_id": slice}
        page = not selected_fields(info._raw_info) <= COUNT_ONLY
        return await _connection(info, where, first, after, order, page)

    @strawberry.field(description="One data row by id or by global key.")
    async def data_row(self, info: Info, id: ID | None = None, global_key: str | None = None) -> DataRow | None:
        if (id is None) == (global_key is None):
            raise bad_input("Give exactly one of `id` or `globalKey`.")
        leaf = {"ids": [id]} if id is not None else {"globalKeys": [global_key]}
        page = await _connection(info, {"filter": leaf}, 1, None, Order())
        return page.nodes[0] if page.nodes else None

    @strawberry.field(description="An export task of your organization.")
    async def export_task(self, info: Info, id: ID) -> ExportTask | None:
        row = await get_task(info.context.engine, info.context.organization_id, str(id))
        if row is None:
            raise not_found("ExportTask", str(id), "id")
        return ExportTask.from_row(row, info.context)

    @strawberry.field(description="Your organization's latest export tasks, newest first (at most 100).")
    async def export_tasks(self, info: Info, first: int = 20) -> list[ExportTask]:
        if not 0 <= first <= MAX_RECENT_TASKS:
            raise bad_input(f"`first` must be between 0 and {MAX_RECENT_TASKS}.", "first")
        rows = await recent_tasks(info.context.engine, info.context.organization_id, first)
        return [ExportTask.from_row(row, info.context) for row in rows]

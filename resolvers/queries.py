"""The Query root: each resolver parses, plans, loads one page and returns plain objects."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.filters import DataRowFilter, filter_dict
from resolvers.selection import plan_from_info
from resolvers.types.data_rows import DataRow, DataRowConnection, PageInfo
from resolvers.types.exports import ExportTask
from server.db import read_connection
from server.errors import bad_input, limit_exceeded, not_found
from server.export.tasks import get_task, recent_tasks
from server.filters.values import FilterLimits
from server.loading.assemble import Line
from server.loading.lines import load_lines
from server.loading.pages import Order, OrderField
from server.query.count import count_rows
from server.query.scope import Scope, request_where

Info = strawberry.Info[Context, None]

MAX_RECENT_TASKS = 100
DataRowOrderField = strawberry.enum(OrderField, name="DataRowOrderField")


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class DataRowOrder:
    field: DataRowOrderField  # type: ignore[valid-type]
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


async def _connection(
    info: Info, where_args: dict, first: int, after: str | None, order: Order | None
) -> DataRowConnection:
    ctx = info.context
    plan = plan_from_info(info._raw_info)
    async with ctx.engine.connect() as conn:  # in a transaction: a similarity search streams (server-side cursor)
        scope = await request_where(conn, ctx.organization_id, **where_args, limits=FilterLimits.of(ctx.settings))
        order = _check_order(scope, order)
        result = await load_lines(conn, scope.where, plan, first, after, order, scope.ranking, scope.probe)

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
        return await _connection(info, {"filter": filter_dict(filter), "slice_id": slice}, first, after, order)

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

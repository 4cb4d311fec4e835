"""The one loading path both front doors use: a keyset page, its related batches, assembled into export lines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.filters.compile import Probed
from server.loading.assemble import Line, assemble
from server.loading.pages import DEFAULT_ORDER, Order, Page, load_page
from server.loading.plan import RowPlan
from server.loading.related import Grouped, load_related, wants_related
from server.search.paging import Ranking, load_ranked_page


@dataclass(frozen=True)
class LinePage:
    page: Page
    lines: list[Line]
    related: dict[str, Grouped] = field(default_factory=dict)


async def load_lines(
    conn: AsyncConnection,
    where: ColumnElement[bool],
    plan: RowPlan,
    first: int,
    after: str | None = None,
    order: Order = DEFAULT_ORDER,
    ranking: Ranking | None = None,
    probe: Probed | None = None,
) -> LinePage:
    """A page of export lines: 1 + (one statement per related table the plan wants) statements.

    With a ranking (a similarTo/search leaf) the page goes in rank order and `order` is not used; `probe` is the
    scope's probing form of `where` (Scope.probe)."""
    if ranking is None:
        page = await load_page(conn, where, plan, first, after, order, probe)
    else:
        page = await load_ranked_page(conn, where, plan, ranking, first, after)
    related = await load_related(conn, [r.id for r in page.rows], plan) if wants_related(plan) else {}
    return LinePage(page, assemble(list(page.rows), related, plan), related)


async def _read(
    conn: AsyncConnection,
    where: ColumnElement[bool],
    plan: RowPlan,
    size: int,
    after: str | None,
    ranking: Ranking | None,
    probe: Probed | None,
) -> LinePage:
    try:
        return await load_lines(conn, where, plan, size, after, ranking=ranking, probe=probe)
    finally:
        await conn.rollback()


async def iter_line_pages(
    engine: AsyncEngine,
    where: ColumnElement[bool],
    plan: RowPlan,
    page_size: int,
    after: str | None = None,
    ranking: Ranking | None = None,
    first_size: int | None = None,
    probe: Probed | None = None,
) -> AsyncIterator[LinePage]:
    """Every page from `after` on (in rank order with a ranking), on one connection, each page and its related rows
    in a short transaction of their own (ended after the page: nothing is held between pages). One connection rather
    than one per page saves a pool checkout (with PostgreSQL's pre-ping round trip) per page.

    Page N+1 is read while the caller encodes and writes page N (one page ahead, so memory stays two pages).
    `first_size` (at most `page_size`) makes the first page shorter, so its lines are out sooner.
    """
    first = min(first_size or page_size, page_size)
    async with engine.connect() as conn:  # one at a time: page N+1 is read after page N was read
        pending = asyncio.create_task(_read(conn, where, plan, first, after, ranking, probe))
        try:
            while pending is not None:
                result = await pending
                more = result.page.has_next
                pending = (
                    asyncio.create_task(_read(conn, where, plan, page_size, result.page.end_cursor, ranking, probe))
                    if more
                    else None
                )
                yield result
        finally:
            if pending is not None:
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)

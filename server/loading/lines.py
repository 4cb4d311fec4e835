"""The one loading path both front doors use: a keyset page, its related batches, assembled into export lines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.db import snapshot
from server.filters.compile import Probed
from server.filters.leaves.ranking import Ranking
from server.loading.assemble import Line, assemble
from server.loading.pages import DEFAULT_ORDER, Order, Page, load_page
from server.loading.plan import RowPlan
from server.loading.ranked import load_ranked_page
from server.loading.related import Grouped, load_related, wants_related


@dataclass(frozen=True)
class LinePage:
    """A page's rows and related rows; their lines are assembled when asked for: all at once (`lines`), or a slice
    of rows at a time (`line_chunks`), which an export encodes and frees while they are still in the CPU's cache."""

    page: Page
    plan: RowPlan
    related: dict[str, Grouped] = field(default_factory=dict)

    @cached_property
    def lines(self) -> list[Line]:
        return assemble(list(self.page.rows), self.related, self.plan)

    def line_chunks(self, rows: int) -> Iterator[list[Line]]:
        every = self.page.rows
        for start in range(0, len(every), rows):
            yield assemble(list(every[start : start + rows]), self.related, self.plan)


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
    return LinePage(page, plan, related)


def _one_statement(plan: RowPlan, ranking: Ranking | None) -> bool:
    return ranking is None and not wants_related(plan)


async def _read(
    conn: AsyncConnection,
    where: ColumnElement[bool],
    plan: RowPlan,
    size: int,
    after: str | None,
    ranking: Ranking | None,
    probe: Probed | None,
    sent: asyncio.Event,
) -> LinePage:
    """One page in a snapshot of its own; `sent` is set once its snapshot is begun, when its first statement of rows
    goes out before this task next waits."""
    try:
        async with nullcontext() if _one_statement(plan, ranking) else snapshot(conn):
            sent.set()
            return await load_lines(conn, where, plan, size, after, ranking=ranking, probe=probe)
    finally:
        sent.set()
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
) -> AsyncGenerator[LinePage, None]:
    """Every page from `after` on (in rank order with a ranking), on one connection, each page and its related rows
    in one short snapshot (a line is as the catalog was at one moment; nothing is held between pages). One
    connection rather than one per page saves a pool checkout (with PostgreSQL's pre-ping round trip) per page.

    Page N+1 is read while the caller encodes and writes page N (one page ahead, so memory stays two pages): its
    statement is out before page N is handed over. PostgreSQL runs in autocommit, so a one-statement page needs no
    BEGIN and ROLLBACK round trips and its query leaves at once; a longer page begins its snapshot itself
    (server.db.snapshot).
    `first_size` (at most `page_size`) makes the first page shorter, so its lines are out sooner.
    """
    first = min(first_size or page_size, page_size)
    async with engine.connect() as conn:  # one at a time: page N+1 is read after page N was read
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")

        async def start(size: int, cursor: str | None) -> asyncio.Task[LinePage]:
            """A task reading the page, returned once its statement is out, so the database works on it meanwhile."""
            sent = asyncio.Event()
            task = asyncio.create_task(_read(conn, where, plan, size, cursor, ranking, probe, sent))
            await sent.wait()
            return task

        pending: asyncio.Task[LinePage] | None = await start(first, after)
        try:
            while pending is not None:
                result = await pending
                more = result.page.has_next
                pending = await start(page_size, result.page.end_cursor) if more else None
                yield result
        finally:
            if pending is not None:
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)

"""Pages of a ranked result: rows in rank order, cursor = rank position (the ranking is recomputed per request)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input
from server.loading.pages import DEFAULT_ORDER, D, Page, decode_cursor, encode_cursor, page_columns
from server.loading.plan import RowPlan
from server.models import DataRow, Dataset
from server.search.leaves import Ranking, T


def _start(after: str | None, ranking: Ranking) -> int:
    if after is None:
        return 0
    position, row_id = decode_cursor(after, DEFAULT_ORDER)
    if not isinstance(position, int) or ranking.positions.get(row_id) != position:
        raise bad_input("`after` is not a cursor of this ranked result; pass a pageInfo.endCursor.", "after")
    return position + 1


async def load_ranked_page(
    conn: AsyncConnection, where: ColumnElement[bool], plan: RowPlan, ranking: Ranking, first: int, after: str | None
) -> Page:
    """The next `first` ranked rows that still match `where` (one SELECT), best first."""
    start = _start(after, ranking)
    window = ranking.ids[start : start + first + 1]
    stmt = select(*page_columns(plan)).where(where, T.id.in_(window))
    if plan.details:
        stmt = stmt.join_from(DataRow.__table__, Dataset.__table__, D.id == T.dataset_id)
    rows = sorted((await conn.execute(stmt)).all(), key=lambda r: ranking.positions[r.id])
    has_next = start + first < len(ranking.ids)
    rows = rows[:first]
    return Page(rows=rows, cursors=[encode_cursor(ranking.positions[r.id], r.id) for r in rows], has_next=has_next)

"""Pages of a ranked result: rows in rank order, cursor = rank position (the ranking is recomputed per request).

A cursor names its row too: when a write between requests moved that row, the next page starts after the row's new
position (or after the old position when the row left the ranking), so paging goes on instead of failing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input
from server.filters.leaves.ranking import Ranking
from server.loading.pages import D, Page, page_columns
from server.loading.plan import RowPlan
from server.models import DataRow, Dataset

T = DataRow.__table__.c
RANK_KEY = "RANK"


def encode_rank_cursor(position: int, row_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([RANK_KEY, position, row_id])).decode()


def decode_rank_cursor(cursor: str) -> tuple[int, str]:
    try:
        key, position, row_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, orjson.JSONDecodeError):
        key, position, row_id = None, None, None
    valid = isinstance(position, int) and not isinstance(position, bool) and position >= 0
    if key != RANK_KEY or not valid or not isinstance(row_id, str):
        raise bad_input("`after` is not a cursor of a ranked result; pass a pageInfo.endCursor of this query.", "after")
    return position, row_id


def start_position(after: str | None, ranking: Ranking) -> int:
    if after is None:
        return 0
    position, row_id = decode_rank_cursor(after)
    return ranking.positions.get(row_id, position) + 1


NO_RANKING = Ranking((), ())


@dataclass(frozen=True)
class RankedPage(Page):
    ranking: Ranking = NO_RANKING

    def _cursor(self, row: Row[Any]) -> str:
        return encode_rank_cursor(self.ranking.positions[row.id], row.id)


async def load_ranked_page(
    conn: AsyncConnection, where: ColumnElement[bool], plan: RowPlan, ranking: Ranking, first: int, after: str | None
) -> RankedPage:
    """The next `first` ranked rows that still match `where` (one SELECT), best first."""
    start = start_position(after, ranking)
    window = ranking.ids[start : start + first]
    stmt = select(*page_columns(plan)).where(where, T.id.in_(window))
    if plan.details:
        stmt = stmt.join_from(DataRow.__table__, Dataset.__table__, D.id == T.dataset_id)
    rows = sorted((await conn.execute(stmt)).all(), key=lambda r: ranking.positions[r.id])
    return RankedPage(rows=rows, has_next=start + first < len(ranking.ids), ranking=ranking)

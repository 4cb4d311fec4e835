"""Counting a covered tree from the facet arrays: the marks and the organization's chunks read first, then the arrays
it needs a few chunks at a time, numpy per chunk; the rows of marked blocks are counted by one SQL statement over
their `seq` ranges instead, so a count stays exact and quick while a write's chunk waits for its rebuild."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.util import ClauseAdapter

from server.facets.columns import dtype, empty
from server.facets.cover import Covered
from server.facets.marks import CHUNKS, LIVE, built_chunks, dirty_blocks
from server.filters.compile import held_probe, rare, scoped_where
from server.filters.tree import Node
from server.models import DataRow
from server.models.facets import BLOCK_BITS, BLOCK_ROWS, CHUNK_BITS, CHUNK_ROWS, SEQ

if TYPE_CHECKING:
    import numpy as np

CHUNKS_A_READ = 8  # 8 chunks of a number facet: 4 MB
MOST_SPANS = 64  # the SQL part tests at most this many `seq` ranges of marked blocks (the closest are joined)
# At most this many rows of marked blocks go to SQL, probed per row (measured at 1M: ~1.5 us a row on SQLite, 4-9 us
# on PostgreSQL), and at most 1/SQL_SHARE of the chunks' rows; beyond, the count's own statement counts every row.
SQL_ROWS = {"sqlite": 65_536, "postgresql": 16_384}
SQL_SHARE = 8

Nodes = tuple[Node | None, ...]  # resolved trees, ANDed
Span = tuple[int, int]  # rows by `seq`: [start, stop)


async def _arrays(
    conn: AsyncConnection, organization_id: str, keys: frozenset[str], chunks: list[int]
) -> dict[int, dict[str, bytes]]:
    """The arrays of `keys` for the chunks from the first to the last of `chunks`, by chunk."""
    stmt = select(CHUNKS.chunk, CHUNKS.key, CHUNKS.data).where(
        CHUNKS.organization_id == organization_id,
        CHUNKS.key.in_(sorted(keys)),
        CHUNKS.chunk.between(chunks[0], chunks[-1]),
    )
    arrays: dict[int, dict[str, bytes]] = defaultdict(dict)
    for chunk, facet, data in await conn.execute(stmt):
        arrays[chunk][facet] = data
    return arrays


def _joined(spans: list[Span]) -> list[Span]:
    """Sorted spans with the overlapping and touching ones made one."""
    out: list[Span] = []
    for start, stop in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((start, stop))
    return out


def fewest(spans: list[Span], most: int) -> list[Span]:
    """Joined spans, then the closest ones joined across their gaps until at most `most` remain (the rows of a
    joined gap go to SQL too, which counts them as well)."""
    spans = _joined(spans)
    if len(spans) <= most:
        return spans
    widest = sorted(range(1, len(spans)), key=lambda i: spans[i][0] - spans[i - 1][1])[len(spans) - most :]
    kept = [0, *sorted(widest)]
    return [(spans[i][0], spans[j - 1][1]) for i, j in zip(kept, [*kept[1:], len(spans)], strict=True)]


def _rows(spans: list[Span]) -> int:
    return sum(stop - start for start, stop in spans)


def _outside(chunk: int, spans: list[Span]) -> np.ndarray | bool:
    """Which positions of `chunk` the arrays count: all (True) but those in the spans."""
    import numpy as np

    low = chunk << CHUNK_BITS
    inside = [(max(a, low) - low, min(b, low + CHUNK_ROWS) - low) for a, b in spans if a < low + CHUNK_ROWS and b > low]
    if not inside:
        return True
    keep = np.ones(CHUNK_ROWS, dtype=bool)
    for start, stop in inside:
        keep[start:stop] = False
    return keep


def _count(covered: Covered, arrays: dict[str, bytes], outside: np.ndarray | bool) -> int:
    import numpy as np

    if LIVE not in arrays:
        return 0

    def column(facet: str) -> np.ndarray:
        data = arrays.get(facet)
        return empty(facet) if data is None else np.frombuffer(data, dtype(facet))

    return int(np.count_nonzero(covered.mask(column) & column(LIVE) & outside))


async def _sql_count(conn: AsyncConnection, organization_id: str, nodes: Nodes, spans: list[Span]) -> int:
    """The rows in the spans that the trees admit, each relation set probed per row (compiled only when there are
    spans). The spans' rows are found by `ix_datarow_seq` in a subquery that neither engine merges into the count
    (OFFSET 0), each bound said to be `rare`: else SQLite would rather walk the index of a leaf's column (a media
    type's 250k rows at 1M: 170 ms, where the ranges take 5 ms) and PostgreSQL would hash whole relation sets
    (124-184 ms for eight blocks, 34-36 ms probed per row)."""
    if not spans:
        return 0
    rows = scoped_where(organization_id, *nodes, semi=held_probe)
    seq = SEQ  # a lower-case name: ruff reads `SEQ >= start` as a constant compared (SIM300)
    ranges = or_(*(and_(rare(seq >= start), rare(seq < stop)) for start, stop in spans))
    spanned = select(DataRow.__table__).where(ranges).offset(0).subquery("datarow")
    stmt = select(func.count()).select_from(spanned).where(ClauseAdapter(spanned).traverse(rows))
    return int((await conn.execute(stmt)).scalar_one())


async def facet_count(conn: AsyncConnection, organization_id: str, covered: Covered, nodes: Nodes) -> int | None:
    """The organization's rows the tree admits (`covered`, from the resolved `nodes`, which count the marked rows);
    None when the marked blocks hold too many rows for SQL to count them quickly (SQL_ROWS, or 1/SQL_SHARE of the
    chunks' rows) or a compared schema has two values on a row somewhere (then the count's own statement does them
    all). Arrays are read CHUNKS_A_READ chunks at a time, so memory stays the same whatever the number of rows."""
    live = [chunk for _, chunk in await built_chunks(conn, organization_id)]
    marked = [(b << BLOCK_BITS, (b << BLOCK_BITS) + BLOCK_ROWS) for _, b in await dirty_blocks(conn, organization_id)]
    spans = fewest(marked, MOST_SPANS)
    if _rows(spans) > min(SQL_ROWS[conn.dialect.name], (len(live) << CHUNK_BITS) // SQL_SHARE):
        return None
    keys, total = covered.keys | covered.void | {LIVE}, 0
    for start in range(0, len(live), CHUNKS_A_READ):
        chunks = await _arrays(conn, organization_id, keys, live[start : start + CHUNKS_A_READ])
        if any(facet in covered.void for arrays in chunks.values() for facet in arrays):
            return None
        total += sum(_count(covered, arrays, _outside(chunk, spans)) for chunk, arrays in chunks.items())
    return total + await _sql_count(conn, organization_id, nodes, spans)


@dataclass(frozen=True)
class FacetQuery:
    """A request's rows as a covered tree of one organization (server.query.scope.Scope.facets), and the resolved
    trees it came from, compiled only when a count leaves marked rows to SQL (not on every page's request)."""

    organization_id: str
    covered: Covered
    nodes: Nodes

    async def count(self, conn: AsyncConnection) -> int | None:
        return await facet_count(conn, self.organization_id, self.covered, self.nodes)

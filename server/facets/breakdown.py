"""How the rows a request means break down: how many per dataset, media type, project (and workflow status, and
labeled there), model run, annotation class and enum metadata option. From the facet arrays when they cover the
filter (the rows of marked blocks from SQL, as a count does), else from SQL GROUP BY over the matching rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.util import ClauseAdapter

from server.facets.columns import STATUS_CODES, dtype, empty
from server.facets.count import MOST_SPANS, SQL_ROWS, SQL_SHARE, Nodes, Span, _outside, _rows, fewest
from server.facets.cover import Covered
from server.facets.marks import CHUNKS, LIVE, built_chunks, dirty_blocks
from server.filters.compile import held_probe, rare, scoped_where
from server.models import DataRow, Label, LabelFeature, MetadataValue, ModelRunDataRow, ProjectDataRow
from server.models.facets import BLOCK_BITS, BLOCK_ROWS, CHUNK_BITS, SEQ

if TYPE_CHECKING:
    import numpy as np

_P, _L = ProjectDataRow.__table__.c, Label.__table__.c
_M, _F = ModelRunDataRow.__table__.c, LabelFeature.__table__.c
_V = MetadataValue.__table__.c
STATUSES = {code: status for status, code in STATUS_CODES.items()}
# A breakdown reads every array of its kinds (an annotation class's is 256 KB a chunk): two chunks at a time keep a
# request's memory to a few MB per hundred facet values.
CHUNKS_A_READ = 2
# The array kinds a breakdown reads, by the name of the count they feed.
KINDS = {
    "dataset": "datasets",
    "media": "media_types",
    "project": "projects",
    "labeled": "labeled",
    "run": "model_runs",
    "feature": "features",
    "option": "options",
}
EVERY_KIND = frozenset(KINDS)


@dataclass
class Breakdown:
    """Counts of matching rows: `total`, and per value of each facet (only values with rows); `projects` per project
    and workflow status. `from_arrays` says whether the facet arrays answered (any marked rows from SQL)."""

    total: int = 0
    datasets: Counter[str] = field(default_factory=Counter)
    media_types: Counter[str] = field(default_factory=Counter)
    projects: dict[str, Counter[str]] = field(default_factory=dict)
    labeled: Counter[str] = field(default_factory=Counter)
    model_runs: Counter[str] = field(default_factory=Counter)
    features: Counter[str] = field(default_factory=Counter)
    options: Counter[str] = field(default_factory=Counter)
    from_arrays: bool = False

    def add(self, other: Breakdown) -> Breakdown:
        self.total += other.total
        for name in ("datasets", "media_types", "labeled", "model_runs", "features", "options"):
            getattr(self, name).update(getattr(other, name))
        for project, statuses in other.projects.items():
            self.projects.setdefault(project, Counter()).update(statuses)
        return self

    def add_status(self, project: str, status: str, n: int) -> None:
        if n:
            self.projects.setdefault(project, Counter())[status] += n


# SQL: GROUP BY over the matching rows.


def _grouped(by: tuple[Any, ...], rows: Select[Any], column: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """(group..., rows) of the table of `column` (a data row id), for the matching `rows`, each row counted once."""
    return select(*by, func.count(column.distinct())).where(column.in_(rows), *where).group_by(*by)


async def sql_breakdown(
    conn: AsyncConnection, where: ColumnElement[bool], source: Any = None, kinds: frozenset[str] = EVERY_KIND
) -> Breakdown:
    """The breakdown of the rows `where` admits (organization included) among those of `source` (datarow, or a
    subquery of some of its rows), one GROUP BY per facet of `kinds` (the total, datasets and media types in one)."""
    source = DataRow.__table__ if source is None else source
    c = source.c
    out = Breakdown()
    grouped = select(c.dataset_id, c.media_type, func.count()).select_from(source).where(where)
    for dataset, media, n in await conn.execute(grouped.group_by(c.dataset_id, c.media_type)):
        out.total += n
        out.datasets[dataset] += n
        out.media_types[media] += n
    rows = select(c.id).select_from(source).where(where)
    if "project" in kinds:
        statuses = _grouped((_P.project_id, _P.workflow_status), rows, _P.data_row_id)
        for project, status, n in await conn.execute(statuses):
            if status in STATUS_CODES:  # the arrays hold no other status
                out.add_status(project, status, n)
    statements = {
        "labeled": (out.labeled, _grouped((_L.project_id,), rows, _L.data_row_id, _L.project_id.is_not(None))),
        "run": (out.model_runs, _grouped((_M.model_run_id,), rows, _M.data_row_id)),
        "feature": (out.features, _grouped((_F.feature_schema_id,), rows, _F.data_row_id, _F.count > 0)),
        "option": (out.options, _grouped((_V.option_id,), rows, _V.data_row_id, _V.option_id.is_not(None))),
    }
    for counter, stmt in (statements[kind] for kind in statements if kind in kinds):
        for value, n in await conn.execute(stmt):
            counter[value] += n
    return out


# Arrays: per chunk, the mask of matching rows against each facet's array.


async def _chunk_arrays(
    conn: AsyncConnection, organization_id: str, keys: frozenset[str], chunks: list[int], kinds: frozenset[str]
) -> dict[int, dict[str, bytes]]:
    """The arrays of `kinds` (of those KINDS counts) and of `keys` for the chunks from the first to the last of
    `chunks`. A kind the request does not ask for is not read: an annotation class's array is 256 KB a chunk."""
    wanted = [CHUNKS.key.startswith(f"{kind}:", autoescape=True) for kind in sorted(kinds)]
    stmt = select(CHUNKS.chunk, CHUNKS.key, CHUNKS.data).where(
        CHUNKS.organization_id == organization_id,
        or_(*wanted, CHUNKS.key.in_(sorted(keys))),
        CHUNKS.chunk.between(chunks[0], chunks[-1]),
    )
    arrays: dict[int, dict[str, bytes]] = {}
    for chunk, facet, data in await conn.execute(stmt):
        arrays.setdefault(chunk, {})[facet] = data
    return arrays


def _chunk_breakdown(
    covered: Covered, arrays: dict[str, bytes], outside: np.ndarray | bool, kinds: frozenset[str]
) -> Breakdown:
    import numpy as np

    out = Breakdown(from_arrays=True)
    if LIVE not in arrays:
        return out

    def column(facet: str) -> np.ndarray:
        data = arrays.get(facet)
        return empty(facet) if data is None else np.frombuffer(data, dtype(facet))

    rows = covered.mask(column) & column(LIVE) & outside
    out.total = int(np.count_nonzero(rows))
    if not out.total:
        return out
    for facet, data in arrays.items():
        kind, name = facet.split(":", 1)
        if kind not in kinds:  # an array the filter reads, of a kind the request does not count
            continue
        # Masks are combined element-wise, never by selecting the matching rows: a selection copies them, which
        # costs several times as much when the filter matches rows spread over the chunk.
        if kind == "project":
            codes = np.bincount(np.frombuffer(data, np.uint8) * rows, minlength=len(STATUSES) + 1)  # 0: outside
            for code, status in STATUSES.items():
                out.add_status(name, status, int(codes[code]))
        else:
            n = int(np.count_nonzero(np.logical_and(column(facet), rows)))
            if n:
                getattr(out, KINDS[kind])[name] += n
    return out


async def _spans_breakdown(
    conn: AsyncConnection, organization_id: str, nodes: Nodes, spans: list[Span], kinds: frozenset[str]
) -> Breakdown:
    """The breakdown of the rows in the spans that the trees admit, found as a count finds them
    (server.facets.count._sql_count): the spans' rows by `seq`, each relation set probed per row."""
    seq = SEQ
    ranges = or_(*(and_(rare(seq >= start), rare(seq < stop)) for start, stop in spans))
    spanned = select(DataRow.__table__).where(ranges).offset(0).subquery("datarow")
    where = ClauseAdapter(spanned).traverse(scoped_where(organization_id, *nodes, semi=held_probe))
    return await sql_breakdown(conn, where, spanned, kinds)


async def array_breakdown(
    conn: AsyncConnection, organization_id: str, covered: Covered, nodes: Nodes, kinds: frozenset[str] = EVERY_KIND
) -> Breakdown | None:
    """The breakdown from the arrays, the rows of marked blocks from SQL (the resolved `nodes` in their `seq` ranges);
    None when those are too many (as for a count: server.facets.count) or a compared schema has several values on a
    row."""
    live = [chunk for _, chunk in await built_chunks(conn, organization_id)]
    marked = [(b << BLOCK_BITS, (b << BLOCK_BITS) + BLOCK_ROWS) for _, b in await dirty_blocks(conn, organization_id)]
    spans = fewest(marked, MOST_SPANS)
    if _rows(spans) > min(SQL_ROWS[conn.dialect.name], (len(live) << CHUNK_BITS) // SQL_SHARE):
        return None
    out = Breakdown(from_arrays=True)
    for start in range(0, len(live), CHUNKS_A_READ):
        chunks = await _chunk_arrays(
            conn, organization_id, covered.keys | covered.void | {LIVE}, live[start : start + CHUNKS_A_READ], kinds
        )
        if any(facet in covered.void for arrays in chunks.values() for facet in arrays):
            return None
        for chunk, arrays in chunks.items():
            out.add(_chunk_breakdown(covered, arrays, _outside(chunk, spans), kinds))
    if spans:
        out.add(await _spans_breakdown(conn, organization_id, nodes, spans, kinds))
    return out


# A scalar True, not an array: it broadcasts in `mask & live & outside`, the only use of this mask (never inverted).
EVERY_ROW = Covered(frozenset(), lambda columns: True)  # type: ignore[arg-type, return-value]

"""Full-text search: each row's text in one SearchDocument, ranked by FTS5 bm25 (SQLite) or ts_rank (PostgreSQL).

Sync is explicit: every write path that changes a row's searchable text calls `reindex_rows(conn, ids)` in the same
transaction (`index_new_rows` for rows it just inserted). Those are: data row create (createDataRows, import, seed) and
update (global key, external id, row data of TEXT rows, metadata), attachments, and labels (createLabels,
createModelRunLabels, import: the LabelFeature names and answers). There is no delete path for rows or labels yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, Select, delete, func, insert, literal_column, select, table, true
from sqlalchemy.ext.asyncio import AsyncConnection

from server.filters.leaves.ranking import WORD
from server.models import Attachment, DataRow, DataRowEmbedding, Embedding, LabelFeature, MetadataValue, SearchDocument

T = DataRow.__table__.c
S = SearchDocument.__table__.c
MAX_RANKED = 10_000
TEXT_ATTACHMENT_TYPES = ("RAW_TEXT", "TEXT")
BATCH = 1000  # createDataRows' largest call: one batch


def _sqlite_match(terms: list[str]) -> tuple[ColumnElement[bool], ColumnElement[float], Any]:
    fts = table("searchdocument_fts", literal_column("rowid"))
    name: ColumnClause[Any] = literal_column("searchdocument_fts")
    expression = " ".join(f'"{t}"' for t in terms)  # terms are letters/digits only: quoting is safe
    return name.op("MATCH")(expression), -func.bm25(name), fts.c.rowid == S.id


def _postgresql_match(terms: list[str]) -> tuple[ColumnElement[bool], ColumnElement[float], Any]:
    # a generated column, PostgreSQL only (server.models.search)
    vector: ColumnClause[Any] = literal_column("searchdocument.tsv")
    query = func.to_tsquery(literal_column("'simple'::regconfig"), " & ".join(f"'{t}'" for t in terms))
    return vector.op("@@")(query), func.ts_rank(vector, query), None


MATCHERS: dict[str, Callable[[list[str]], tuple[ColumnElement[bool], ColumnElement[float], Any]]] = {
    "sqlite": _sqlite_match,
    "postgresql": _postgresql_match,
}


def search_statement(
    dialect: str, organization_id: str, terms: list[str], candidates: ColumnElement[bool] | None
) -> Select:
    """(data_row_id, score) of the candidate rows containing every term, best first, ties by id."""
    match, score, fts_join = MATCHERS[dialect](terms)
    source = SearchDocument.__table__.join(DataRow.__table__, T.id == S.data_row_id)
    if fts_join is not None:
        source = table("searchdocument_fts", literal_column("rowid")).join(source, fts_join)
    return (
        select(S.data_row_id, score.label("score"))
        .select_from(source)
        .where(match, S.organization_id == organization_id, T.organization_id == organization_id)
        .where(true() if candidates is None else candidates)
        .order_by(score.desc(), S.data_row_id)
        .limit(MAX_RANKED)
    )


async def rank_full_text(
    conn: AsyncConnection, organization_id: str, terms: list[str], candidates: ColumnElement[bool] | None
) -> list[tuple[str, float]]:
    stmt = search_statement(conn.dialect.name, organization_id, terms, candidates)
    return [(row_id, float(score)) for row_id, score in (await conn.execute(stmt)).all()]


async def _grouped(conn: AsyncConnection, stmt: Select) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for row_id, text in (await conn.execute(stmt)).all():
        groups[row_id].append(text)
    return groups


def _part_statements(ids: Sequence[str]) -> list[Select]:
    M, A, F = MetadataValue.__table__.c, Attachment.__table__.c, LabelFeature.__table__.c
    return [
        select(M.data_row_id, M.string_value)
        .where(M.data_row_id.in_(ids), M.string_value.is_not(None))
        .order_by(M.data_row_id, M.position),
        select(A.data_row_id, A.value)
        .where(A.data_row_id.in_(ids), A.type.in_(TEXT_ATTACHMENT_TYPES))
        .order_by(A.data_row_id, A.position),
        select(F.data_row_id, F.name).where(F.data_row_id.in_(ids)).distinct().order_by(F.data_row_id, F.name),
    ]


def _body(row: Mapping[Any, Any], parts: Iterable[dict[str, list[str]]]) -> str:
    """The row's words, lowercased and space-separated, so FTS5 and PostgreSQL's parser see the same tokens."""
    texts = [row["global_key"], row["external_id"], row["row_data"] if row["media_type"] == "TEXT" else None]
    for part in parts:
        texts += part.get(row["id"], [])
    return " ".join(WORD.findall(" ".join(t for t in texts if t).lower()))


def _parts_in_memory(rows: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, list[str]]]:
    """`_part_statements` applied to row dicts: string metadata and text attachments by position, feature names
    distinct and sorted."""
    metadata, attachments, features = defaultdict(list), defaultdict(list), defaultdict(set)
    for m in sorted(rows.get("metadatavalue", []), key=lambda m: m["position"]):
        if m["string_value"] is not None:
            metadata[m["data_row_id"]].append(m["string_value"])
    for a in sorted(rows.get("attachment", []), key=lambda a: a["position"]):
        if a["type"] in TEXT_ATTACHMENT_TYPES:
            attachments[a["data_row_id"]].append(a["value"])
    for f in rows.get("labelfeature", []):
        features[f["data_row_id"]].add(f["name"])
    return [metadata, attachments, {row_id: sorted(names) for row_id, names in features.items()}]


def new_documents(rows: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The documents of new data rows written together with all their parts (one import batch: a line carries its
    whole row), built from the row dicts: the bodies `index_new_rows` would read back, without reading."""
    parts = _parts_in_memory(rows)
    return [
        {"organization_id": r["organization_id"], "data_row_id": r["id"], "body": _body(r, parts)}
        for r in rows.get("datarow", [])
    ]


async def _index_batch(conn: AsyncConnection, ids: Sequence[str]) -> None:
    columns = (T.id, T.organization_id, T.global_key, T.external_id, T.row_data, T.media_type)
    rows = (await conn.execute(select(*columns).where(T.id.in_(ids)))).all()
    parts = [await _grouped(conn, stmt) for stmt in _part_statements(ids)]
    docs = [{"organization_id": r.organization_id, "data_row_id": r.id, "body": _body(r._mapping, parts)} for r in rows]
    if docs:
        await conn.execute(insert(SearchDocument.__table__), docs)


async def _reindex_batch(conn: AsyncConnection, ids: Sequence[str]) -> None:
    await conn.execute(delete(SearchDocument.__table__).where(S.data_row_id.in_(ids)))
    await _forget_semantic_vectors(conn, ids)
    await _index_batch(conn, ids)


async def _forget_semantic_vectors(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """Stale text means a stale semantic vector: drop it, the next semantic query embeds the new text."""
    from server.search.semantic import SEMANTIC_EMBEDDING

    E, V = Embedding.__table__.c, DataRowEmbedding.__table__.c
    spaces = select(E.id).where(E.name == SEMANTIC_EMBEDDING)
    await conn.execute(delete(DataRowEmbedding.__table__).where(V.embedding_id.in_(spaces), V.data_row_id.in_(ids)))


async def _batched(conn: AsyncConnection, ids: Iterable[str], work: Callable[..., Awaitable[None]]) -> None:
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), BATCH):
        await work(conn, ids[start : start + BATCH])


async def reindex_rows(conn: AsyncConnection, ids: Iterable[str]) -> None:
    """Rebuild the search documents of these rows from their current text (rows that no longer exist are dropped)."""
    await _batched(conn, ids, _reindex_batch)


async def index_new_rows(conn: AsyncConnection, ids: Iterable[str]) -> None:
    """Documents of rows just inserted in this transaction (no old document or vector to drop: 5 statements)."""
    await _batched(conn, ids, _index_batch)

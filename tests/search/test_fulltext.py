"""search FULL_TEXT on both engines: what text is indexed, ranking, sync after writes, safe query parsing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, true, update

from server.errors import CatalogError, ErrorCode
from server.models import Attachment, DataRow, Label, LabelFeature, MetadataValue
from server.search.fulltext import reindex_rows
from server.search.ranking import rank
from tests.search.builders import add_attachment, add_label_features, add_metadata, add_rows
from tests.search.catalog import Catalog

T = DataRow.__table__.c


async def search(catalog: Catalog, query: str, candidates: Any = None) -> list[tuple[str, float]]:
    async with catalog.engine.connect() as conn:
        return await rank(conn, catalog.org_id, {"query": query}, true() if candidates is None else candidates)


def ids(ranked: list[tuple[str, float]]) -> list[str]:
    return [i for i, _ in ranked]


@pytest.fixture
async def rows(catalog: Catalog) -> dict[str, str]:
    """Five rows, each findable only through one kind of text."""
    async with catalog.engine.begin() as conn:
        keyed, external, text_row, image_row, meta, attached, labelled = await add_rows(
            conn,
            catalog,
            [
                {"global_key": "zebra-001.jpg"},
                {"external_id": "walrus crossing"},
                {"media_type": "TEXT", "row_data": "The quick brown fox"},
                {"media_type": "IMAGE", "row_data": "https://example.com/fox.jpg"},
                {},
                {},
                {},
            ],
        )
        await add_metadata(conn, catalog, meta, "caption", "a lighthouse at dusk")
        await add_attachment(conn, catalog, attached, "RAW_TEXT", "penguin colony notes")
        await add_attachment(conn, catalog, attached, "IMAGE", "https://example.com/heron.png")
        await add_label_features(conn, catalog, labelled, ["Vehicle", "Tractor"])
        await reindex_rows(conn, [keyed, external, text_row, image_row, meta, attached, labelled])
    return {
        "keyed": keyed,
        "external": external,
        "text": text_row,
        "image": image_row,
        "meta": meta,
        "attached": attached,
        "labelled": labelled,
    }


@pytest.mark.parametrize(
    ("query", "which"),
    [
        ("zebra", "keyed"),
        ("WALRUS", "external"),
        ("fox", "text"),  # the IMAGE row's URL mentions fox too, but only TEXT rows index row data
        ("lighthouse dusk", "meta"),
        ("penguin", "attached"),
        ("tractor", "labelled"),
    ],
)
async def test_each_kind_of_text_is_indexed(catalog: Catalog, rows: dict[str, str], query: str, which: str) -> None:
    assert ids(await search(catalog, query)) == [rows[which]]


async def test_non_text_attachments_are_not_indexed(catalog: Catalog, rows: dict[str, str]) -> None:
    assert await search(catalog, "heron") == []


async def test_all_terms_must_match_and_more_matches_rank_higher(catalog: Catalog, rows: dict[str, str]) -> None:
    async with catalog.engine.begin() as conn:
        one, many = await add_rows(conn, catalog, [{"external_id": "otter"}, {"external_id": "otter otter otter"}])
        await reindex_rows(conn, [one, many])
    ranked = await search(catalog, "otter")
    assert ids(ranked) == [many, one]
    assert ranked[0][1] > ranked[1][1] > 0
    assert await search(catalog, "otter zebra") == []


async def test_candidates_restrict_the_ranking(catalog: Catalog, rows: dict[str, str]) -> None:
    assert await search(catalog, "tractor", T.id != rows["labelled"]) == []


async def test_sync_after_insert_update_delete(catalog: Catalog, rows: dict[str, str]) -> None:
    row = rows["meta"]
    async with catalog.engine.begin() as conn:
        await conn.execute(update(MetadataValue.__table__).values(string_value="a windmill at dawn"))
        await conn.execute(update(DataRow.__table__).where(T.id == row).values(external_id="mill-7"))
        await reindex_rows(conn, [row])
    assert await search(catalog, "lighthouse") == []
    assert ids(await search(catalog, "windmill mill")) == [row]
    labelled = rows["labelled"]
    async with catalog.engine.begin() as conn:
        await conn.execute(delete(LabelFeature.__table__))
        await conn.execute(delete(Label.__table__))
        await conn.execute(delete(Attachment.__table__))
        await conn.execute(delete(MetadataValue.__table__))
        await conn.execute(delete(DataRow.__table__).where(T.id == row))
        await reindex_rows(conn, [labelled, row, rows["attached"]])
    assert await search(catalog, "tractor") == []
    assert await search(catalog, "windmill") == []
    assert await search(catalog, "penguin") == []
    assert ids(await search(catalog, "zebra")) == [rows["keyed"]]


async def test_operators_and_quotes_are_plain_words(catalog: Catalog, rows: dict[str, str]) -> None:
    async with catalog.engine.begin() as conn:
        (row,) = await add_rows(conn, catalog, [{"external_id": 'foo AND "bar" NEAR(x) OR'}])
        await reindex_rows(conn, [row])
    for query in ['"foo AND', "foo OR", "NEAR(foo", "foo*", "bar:foo", "-foo", "foo & !bar | x:*"]:
        assert ids(await search(catalog, query)) == [row], query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "search.query must contain at least one word (letters or digits)."),
        ("*", "search.query must contain at least one word (letters or digits)."),
        ('" ( ) * :', "search.query must contain at least one word (letters or digits)."),
        ("x" * 501, "search.query is 501 characters long; at most 500 are allowed."),
        (" ".join(f"w{i}" for i in range(33)), "search.query has 33 distinct words; at most 32 are allowed."),
        (None, "search.query must be a string."),
    ],
)
async def test_bad_queries_are_coded_errors(catalog: Catalog, query: Any, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        await search(catalog, query)
    assert (err.value.code, err.value.message, err.value.path) == (ErrorCode.BAD_USER_INPUT, message, "search.query")


async def test_unknown_mode_is_a_coded_error(catalog: Catalog) -> None:
    async with catalog.engine.connect() as conn:
        with pytest.raises(CatalogError) as err:
            await rank(conn, catalog.org_id, {"query": "x", "mode": "FUZZY"}, true())
    assert (err.value.message, err.value.path) == ("search.mode must be one of FULL_TEXT, SEMANTIC.", "search.mode")

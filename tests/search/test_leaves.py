"""The filter-tree integration: resolve pass (filter first, then rank), leaf SQL, ranked pages with position cursors."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import true

from server.errors import CatalogError
from server.filters.compile import scoped_where
from server.filters.leaves import LEAVES
from server.filters.leaves.ranking import RANKING_LEAVES, Ranking, ranking_leaf
from server.filters.tree import And, Leaf, Node, Not, Or
from server.loading.pages import load_page
from server.loading.plan import RowPlan
from server.loading.ranked import load_ranked_page
from server.search.leaves import resolve_rankings
from server.search.ranking import rank
from tests.search.builders import add_embedding, add_rows, add_vectors
from tests.search.catalog import Catalog

SIMILAR = {"embedding": "clip", "vector": [1.0, 0.0, 0.0], "k": 6}


@pytest.fixture
async def rows(catalog: Catalog) -> list[str]:
    async with catalog.engine.begin() as conn:
        ids = await add_rows(conn, catalog, [{"external_id": f"e{n % 2}"} for n in range(12)])
        embedding_id = await add_embedding(conn, catalog, "clip", 3)
        angles = np.linspace(0, np.pi, len(ids))
        await add_vectors(
            conn, catalog, embedding_id, {i: [np.cos(a), np.sin(a), 0] for i, a in zip(ids, angles, strict=False)}
        )
    return ids


async def resolve(catalog: Catalog, *nodes: Node | None) -> tuple[list[Node | None], Ranking | None]:
    async with catalog.engine.connect() as conn:
        return await resolve_rankings(conn, catalog.org_id, nodes, lambda *n: scoped_where(catalog.org_id, *n))


async def test_filter_first_then_rank_and_page_by_position(catalog: Catalog, rows: list[str]) -> None:
    external = Leaf("externalIds", ["e1"], "filter.externalIds")
    tree = And((external, Leaf("similarTo", SIMILAR, "filter.similarTo")))
    (resolved,), ranking = await resolve(catalog, tree)
    expected = [rows[n] for n in range(1, 12, 2)][:6]
    assert ranking is not None and list(ranking.ids) == expected
    async with catalog.engine.connect() as conn:
        assert ranking.ids == tuple(
            i for i, _ in await rank(conn, catalog.org_id, SIMILAR, scoped_where(catalog.org_id, external))
        )
        where = scoped_where(catalog.org_id, resolved)
        first = await load_ranked_page(conn, where, RowPlan(), ranking, 4, None)
        second = await load_ranked_page(conn, where, RowPlan(), ranking, 4, first.end_cursor)
    assert [r.id for r in first.rows] == expected[:4] and first.has_next
    assert [r.id for r in second.rows] == expected[4:] and not second.has_next
    assert ranking.score(expected[0]) == pytest.approx(np.cos(np.pi / 11), abs=1e-6)
    assert ranking.score(rows[0]) is None


async def test_slice_and_filter_both_restrict_the_candidates(catalog: Catalog, rows: list[str]) -> None:
    slice_tree = Leaf("ids", rows[:5], "slice.ids")
    (_, resolved), ranking = await resolve(catalog, slice_tree, Leaf("similarTo", SIMILAR, "filter.similarTo"))
    assert ranking is not None and list(ranking.ids) == rows[:5]
    assert resolved == Leaf("similarTo", ranking, "filter.similarTo")


async def test_without_a_ranking_leaf_nothing_is_ranked(catalog: Catalog, rows: list[str]) -> None:
    tree = Leaf("ids", rows[:2], "filter.ids")
    assert await resolve(catalog, tree, None) == ([tree, None], None)


@pytest.mark.parametrize(
    ("tree", "message", "path"),
    [
        (
            Or((Leaf("ids", ["x"], "filter.or.0.ids"), Leaf("similarTo", SIMILAR, "filter.or.1.similarTo"))),
            "filter.or.1.similarTo cannot sit under `or`: combine it with other conditions by `and`.",
            "filter.or.1.similarTo",
        ),
        (
            Not(Leaf("search", {"query": "x"}, "filter.not.search")),
            "filter.not.search cannot sit under `not`: combine it with other conditions by `and`.",
            "filter.not.search",
        ),
        (
            And((Leaf("search", {"query": "x"}, "filter.search"), Leaf("similarTo", SIMILAR, "filter.similarTo"))),
            "filter.similarTo: give one similarTo or search condition per query.",
            "filter.similarTo",
        ),
    ],
)
async def test_misplaced_ranking_leaves_are_coded_errors(catalog: Catalog, tree: Node, message: str, path: str) -> None:
    with pytest.raises(CatalogError) as err:
        await resolve(catalog, tree)
    assert (err.value.message, err.value.path) == (message, path)


async def test_a_keyset_cursor_is_a_coded_error(catalog: Catalog, rows: list[str]) -> None:
    (_resolved,), ranking = await resolve(catalog, Leaf("similarTo", SIMILAR, "filter.similarTo"))
    assert ranking is not None
    async with catalog.engine.connect() as conn:
        keyset = await load_page(conn, true(), RowPlan(), 2)
        with pytest.raises(CatalogError) as err:
            await load_ranked_page(conn, true(), RowPlan(), ranking, 2, keyset.end_cursor)
    assert (err.value.path, err.value.code) == ("after", "BAD_USER_INPUT")


async def test_a_cursor_follows_its_row_when_the_ranking_moved(catalog: Catalog, rows: list[str]) -> None:
    (_resolved,), ranking = await resolve(catalog, Leaf("similarTo", SIMILAR, "filter.similarTo"))
    assert ranking is not None
    async with catalog.engine.connect() as conn:
        page = await load_ranked_page(conn, true(), RowPlan(), ranking, 2, None)
        moved = Ranking.of([(rows[11], 0.5), *zip(ranking.ids, ranking.scores, strict=False)])
        after_move = await load_ranked_page(conn, true(), RowPlan(), moved, 2, page.end_cursor)
        gone = Ranking.of([(rows[11], 0.5), *zip(ranking.ids[2:], ranking.scores[2:], strict=False)])
        after_gone = await load_ranked_page(conn, true(), RowPlan(), gone, 2, page.end_cursor)
    assert [r.id for r in after_move.rows] == list(ranking.ids[2:4])
    assert [r.id for r in after_gone.rows] == [ranking.ids[3], ranking.ids[4]]


def test_empty_ranking_matches_nothing_and_unresolved_leaves_fail_loudly() -> None:
    assert str(ranking_leaf(Ranking.of([]), "org")) == "false"
    with pytest.raises(AssertionError):
        ranking_leaf({"query": "x"}, "org")


def test_both_ranking_leaves_are_registered_in_the_filter_tree() -> None:
    assert {name: LEAVES[name] for name in ("similarTo", "search")} == RANKING_LEAVES

"""The resolve pass that runs a similarTo/search ranking (I/O) before the pure compile: filter first, then rank.

server.query.scope.request_where calls `resolve_rankings(conn, org, [filter, slice, ids], scope)` with
`scope(*nodes) = scoped_where(org, *nodes)` and compiles the trees it returns (the leaf is bound to its Ranking).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input
from server.filters.leaves.ranking import ALL_ROWS, RANKING_NAMES, Ranking
from server.filters.tree import And, Leaf, Node, Not, Or


def _find(node: Node | None, under: str | None, found: list[Leaf]) -> None:
    match node:
        case And(children):
            for child in children:
                _find(child, under, found)
        case Or(children):
            for child in children:
                _find(child, "or", found)
        case Not(child):
            _find(child, "not", found)
        case Leaf(name, _, path) if name in RANKING_NAMES:
            if under:
                raise bad_input(f"{path} cannot sit under `{under}`: combine it with other conditions by `and`.", path)
            found.append(node)


def _replace(node: Node | None, target: Leaf, value: Any) -> Node | None:
    match node:
        case And(children):
            # a child is a Node, and _replace gives a Node back for a Node (None only for None)
            return And(tuple(_replace(c, target, value) for c in children))  # type: ignore[misc]
        case Leaf() if node is target:
            return Leaf(target.name, value, target.path)
    return node


def find_ranking_leaf(nodes: Sequence[Node | None]) -> Leaf | None:
    found: list[Leaf] = []
    for node in nodes:
        _find(node, None, found)
    if len(found) > 1:
        raise bad_input(f"{found[1].path}: give one similarTo or search condition per query.", found[1].path)
    return found[0] if found else None


async def resolve_rankings(
    conn: AsyncConnection,
    organization_id: str,
    nodes: Sequence[Node | None],
    scope: Callable[..., ColumnElement[bool]],
) -> tuple[list[Node | None], Ranking | None]:
    """Rank among the rows every other condition admits, then return the trees with the leaf bound to the ranking."""
    leaf = find_ranking_leaf(nodes)
    if leaf is None:
        return list(nodes), None
    from server.search.ranking import rank  # here: ranking loads numpy (~20 MB), which a plain export never needs

    others = [n for n in nodes if n is not None and n is not leaf]
    candidates = scope(*(_replace(n, leaf, ALL_ROWS) for n in others)) if others else None
    ranking = Ranking.of(await rank(conn, organization_id, leaf.value, candidates, leaf.path))
    return [_replace(n, leaf, ranking) for n in nodes], ranking

"""Integration point with the filter tree: the similarTo/search leaf builders, the Ranking they restrict to, and
the resolve pass that runs the ranking (I/O) before the pure compile.

Wiring (done by the lead in server/filters): add RANKING_LEAVES to LEAVES, and before compiling call
`resolve_rankings(conn, org, [slice_tree, filter_tree], scope)` where `scope(*nodes)` is
`server.filters.compile.scoped_where(org, *nodes)`; compile the trees it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input
from server.filters.tree import And, Leaf, Node, Not, Or
from server.models import DataRow
from server.search.ranking import rank

T = DataRow.__table__.c  # type: ignore[attr-defined]
RANKING_NAMES = ("similarTo", "search")


@dataclass(frozen=True)
class Ranking:
    """The ranked rows of one similarTo/search leaf: ids best first with their scores."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]
    positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", {row_id: i for i, row_id in enumerate(self.ids)})

    @classmethod
    def of(cls, ranked: Sequence[tuple[str, float]]) -> Ranking:
        return cls(tuple(i for i, _ in ranked), tuple(s for _, s in ranked))

    def where(self) -> ColumnElement[bool]:
        return T.id.in_(self.ids) if self.ids else false()

    def score(self, row_id: str) -> float | None:
        position = self.positions.get(row_id)
        return None if position is None else self.scores[position]


class AllRows:
    """Stands in for the ranking leaf while the other conditions are compiled into the candidate set."""


ALL_ROWS = AllRows()


def ranking_leaf(value: Any, path: str) -> ColumnElement[bool]:
    """LeafBuilder for similarTo and search: the value must already be resolved by resolve_rankings."""
    if isinstance(value, AllRows):
        return true()
    if not isinstance(value, Ranking):
        raise AssertionError(f"{path} was compiled before resolve_rankings ran")
    return value.where()


RANKING_LEAVES: dict[str, Callable[[Any, str], ColumnElement[bool]]] = {name: ranking_leaf for name in RANKING_NAMES}


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
    others = [n for n in nodes if n is not None and n is not leaf]
    candidates = scope(*(_replace(n, leaf, ALL_ROWS) for n in others)) if others else None
    ranking = Ranking.of(await rank(conn, organization_id, leaf.value, candidates, leaf.path))
    return [_replace(n, leaf, ranking) for n in nodes], ranking

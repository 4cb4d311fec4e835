"""The similarTo and search leaves: checked here (pure), ranked by server.search before compile, compiled to the
ranked ids. The resolve pass (server.search.leaves.resolve_rankings) swaps the condition for its Ranking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, true

from server.filters.leaves.spec import LeafSpec, T
from server.filters.values import FilterLimits
from server.search.conditions import check_search, parse_similar


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


def ranking_leaf(value: Any, organization_id: str) -> ColumnElement[bool]:
    """Build for similarTo and search: the value must already be resolved by resolve_rankings."""
    if isinstance(value, AllRows):
        return true()
    if not isinstance(value, Ranking):
        raise AssertionError("a similarTo/search leaf was compiled before resolve_rankings ran")
    return value.where()


def _check_similar(value: Any, path: str, limits: FilterLimits) -> Any:
    parse_similar(value, path)
    return value


def _check_search(value: Any, path: str, limits: FilterLimits) -> Any:
    check_search(value, path)
    return value


RANKING_LEAVES: dict[str, LeafSpec] = {
    "similarTo": LeafSpec(_check_similar, ranking_leaf),
    "search": LeafSpec(_check_search, ranking_leaf),
}
RANKING_NAMES = tuple(RANKING_LEAVES)

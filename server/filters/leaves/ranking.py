"""The similarTo and search leaves: what their conditions say, checked here (pure, no numpy), ranked by server.search
before compile, compiled to the ranked ids. The resolve pass (server.search.leaves.resolve_rankings) swaps the
condition for its Ranking."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true

from server.errors import bad_input
from server.filters.leaves.spec import LeafSpec, T
from server.filters.values import FilterLimits

MAX_K = 10_000
KEYS = frozenset({"embedding", "dataRowId", "vector", "k", "minScore"})
WORD = re.compile(r"[^\W_]+")  # a word of a query, and of a row's search document (server.search.fulltext)
MAX_QUERY_CHARS = 500
MAX_TERMS = 32


class SearchMode(StrEnum):
    """How a search condition ranks: words (server.search.fulltext) or meaning (server.search.semantic)."""

    FULL_TEXT = "FULL_TEXT"
    SEMANTIC = "SEMANTIC"


@dataclass(frozen=True)
class SimilarTo:
    embedding: str
    data_row_id: str | None
    vector: Any
    k: int
    min_score: float | None
    path: str


def _k(value: Any, path: str) -> int:
    if value is None:
        return MAX_K
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_K:
        raise bad_input(f"{path} must be an integer from 1 to {MAX_K}.", path)
    return value


def _min_score(value: Any, path: str) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not -1 <= value <= 1):
        raise bad_input(f"{path} must be a number from -1 to 1 (a cosine similarity).", path)
    return value


def parse_similar(value: Any, path: str) -> SimilarTo:
    if not isinstance(value, dict) or set(value) - KEYS:
        raise bad_input(f"{path} takes only {', '.join(sorted(KEYS))}.", path)
    present = {k: v for k, v in value.items() if v is not None}
    if not isinstance(present.get("embedding"), str) or not present["embedding"]:
        raise bad_input(f"{path}.embedding must name an embedding (its name or id).", f"{path}.embedding")
    if ("dataRowId" in present) == ("vector" in present):
        raise bad_input(f"{path} needs exactly one of dataRowId or vector.", path)
    if "k" not in present and "minScore" not in present:
        raise bad_input(f"{path} needs k, minScore or both, to bound the result.", path)
    k, min_score = _k(present.get("k"), f"{path}.k"), _min_score(present.get("minScore"), f"{path}.minScore")
    return SimilarTo(present["embedding"], present.get("dataRowId"), present.get("vector"), k, min_score, path)


def check_search(value: Any, path: str) -> str:
    """The search mode of a valid {query, mode} condition."""
    if not isinstance(value, dict) or set(value) - {"query", "mode"}:
        raise bad_input(f"{path} takes query and mode.", path)
    mode = value.get("mode") or SearchMode.FULL_TEXT.value
    if mode not in tuple(SearchMode):
        raise bad_input(f"{path}.mode must be one of {', '.join(SearchMode)}.", f"{path}.mode")
    parse_query(value.get("query"), f"{path}.query")
    return mode


def parse_query(value: Any, path: str) -> list[str]:
    """The distinct lowercase words of a query; operators and punctuation are plain text, never FTS syntax."""
    if not isinstance(value, str):
        raise bad_input(f"{path} must be a string.", path)
    if len(value) > MAX_QUERY_CHARS:
        raise bad_input(f"{path} is {len(value)} characters long; at most {MAX_QUERY_CHARS} are allowed.", path)
    terms = list(dict.fromkeys(WORD.findall(value.lower())))
    if not terms:
        raise bad_input(f"{path} must contain at least one word (letters or digits).", path)
    if len(terms) > MAX_TERMS:
        raise bad_input(f"{path} has {len(terms)} distinct words; at most {MAX_TERMS} are allowed.", path)
    return terms


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

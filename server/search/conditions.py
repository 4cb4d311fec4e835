"""What a similarTo or search condition says, checked (pure, no numpy): the filter parser checks conditions with these,
and only ranking them (server.search.ranking) needs the vector code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import bad_input
from server.search.fulltext import parse_query

MAX_K = 10_000
KEYS = frozenset({"embedding", "dataRowId", "vector", "k", "minScore"})
SEARCH_MODE_NAMES = ("FULL_TEXT", "SEMANTIC")


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
    mode = value.get("mode") or "FULL_TEXT"
    if mode not in SEARCH_MODE_NAMES:
        raise bad_input(f"{path}.mode must be one of {', '.join(SEARCH_MODE_NAMES)}.", f"{path}.mode")
    parse_query(value.get("query"), f"{path}.query")
    return mode

"""rank(): the one entry point the filter tree calls for a similarTo or search condition (filter first, then rank)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection

from server.filters.leaves.ranking import SearchMode, check_search, parse_query
from server.search.fulltext import rank_full_text
from server.search.semantic import rank_semantic
from server.search.similarity import rank_similar

Ranked = list[tuple[str, float]]
Candidates = ColumnElement[bool] | None


async def _full_text(conn: AsyncConnection, org: str, query: str, cand: Candidates, path: str) -> Ranked:
    return await rank_full_text(conn, org, parse_query(query, f"{path}.query"), cand)


async def _semantic(conn: AsyncConnection, org: str, query: str, cand: Candidates, path: str) -> Ranked:
    return await rank_semantic(conn, org, query, cand, f"{path}.mode")


ModeRanker = Callable[[AsyncConnection, str, str, Candidates, str], Awaitable[Ranked]]
SEARCH_MODES: dict[str, ModeRanker] = {SearchMode.FULL_TEXT: _full_text, SearchMode.SEMANTIC: _semantic}


async def rank_search(
    conn: AsyncConnection, organization_id: str, value: Any, candidates: Candidates, path: str
) -> Ranked:
    mode = check_search(value, path)
    return await SEARCH_MODES[mode](conn, organization_id, value.get("query"), candidates, path)


Ranker = Callable[[AsyncConnection, str, Any, Candidates, str], Awaitable[Ranked]]
RANKERS: dict[str, Ranker] = {"similarTo": rank_similar, "search": rank_search}


def condition_kind(condition: Any) -> str:
    """`search` for a {query, mode} condition, `similarTo` for anything else (validated by its ranker)."""
    return "search" if isinstance(condition, dict) and "query" in condition else "similarTo"


async def rank(
    conn: AsyncConnection,
    organization_id: str,
    condition: dict[str, Any],
    candidates: Candidates,
    path: str | None = None,
) -> Ranked:
    """(data_row_id, score) best first, among the organization's rows matching `candidates`; ties by ascending id.

    `candidates` is the SQL WHERE of every other condition, over the datarow table (organization scoping included
    or not: it is added here too); None means every row of the organization, which lets a similarity query skip
    the candidate-id SELECT. The result equals brute force over exactly those rows.
    """
    kind = condition_kind(condition)
    return await RANKERS[kind](conn, organization_id, condition, candidates, path or kind)

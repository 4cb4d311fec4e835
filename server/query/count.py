"""How many rows a scope admits, in total or per facet value. Behind one interface, `RowCounter`: the SQL counter is
the reference and always answers; the facet arrays are an optional accelerator that answers first when it can (it
declines with None, then SQL counts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db import snapshot
from server.facets.breakdown import EVERY_KIND, EVERY_ROW, Breakdown, array_breakdown, sql_breakdown
from server.facets.count import FacetQuery

if TYPE_CHECKING:
    from server.query.scope import Scope


class RowCounter(Protocol):
    async def count(self, conn: AsyncConnection) -> int | None:
        """The number of rows, or None when this counter cannot say."""
        ...


@dataclass(frozen=True)
class SqlCounter:
    """The reference: the scope's count-shaped statement (server.filters.compile.count_statement, never the page's)."""

    statement: Select[Any]

    async def count(self, conn: AsyncConnection) -> int:
        return int((await conn.execute(self.statement)).scalar_one())


@dataclass(frozen=True)
class FacetCounter:
    """The accelerator: the facet arrays (server.facets.count), their several reads in one snapshot."""

    query: FacetQuery

    async def count(self, conn: AsyncConnection) -> int | None:
        async with snapshot(conn):
            return await self.query.count(conn)


def accelerators(scope: Scope) -> tuple[RowCounter, ...]:
    return () if scope.facets is None else (FacetCounter(scope.facets),)


async def count_rows(conn: AsyncConnection, scope: Scope) -> int:
    """How many rows the scope admits: from the first accelerator that can say, else the SQL reference."""
    for counter in accelerators(scope):
        counted = await counter.count(conn)
        if counted is not None:
            return counted
    return await SqlCounter(scope.count).count(conn)


async def facet_breakdown(
    conn: AsyncConnection,
    organization_id: str,
    scope: Scope,
    everything: bool = False,
    kinds: frozenset[str] = EVERY_KIND,
) -> Breakdown:
    """The breakdown of the scope's rows (`everything`: the scope has no condition but the organization): the total
    and the counts of `kinds` (KINDS' keys; the others may be left empty), from the arrays when they cover the scope,
    else SQL."""
    if everything or scope.facets is not None:
        covered, nodes = (EVERY_ROW, ()) if scope.facets is None else (scope.facets.covered, scope.facets.nodes)
        counts = await array_breakdown(conn, organization_id, covered, nodes, kinds)
        if counts is not None:
            return counts
    return await sql_breakdown(conn, scope.where, kinds=kinds)

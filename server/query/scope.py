"""Which rows a request means: its filter, its slice's saved filter and explicit ids, all together (AND)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input, not_found
from server.facets.count import FacetQuery
from server.facets.cover import cover
from server.filters.compile import Probed, count_statement, probe_where, scoped_where
from server.filters.leaves.ranking import Ranking
from server.filters.tree import And, Leaf, Node, Not, Or, parse_filter
from server.filters.values import FilterLimits
from server.loading.pages import PROBE_WINDOW_MAX
from server.models import DataRow, Slice
from server.query.names import RESOLVERS
from server.search.leaves import resolve_rankings

S = Slice.__table__.c
T = DataRow.__table__.c


async def resolve(node: Node, conn: AsyncConnection, organization_id: str) -> Node:
    """Look up every name the tree uses (metadata schemas, enum options): unknown ones fail before any row is read."""
    match node:
        case And(children) | Or(children):
            resolved = tuple([await resolve(c, conn, organization_id) for c in children])
            return And(resolved) if isinstance(node, And) else Or(resolved)
        case Not(child):
            return Not(await resolve(child, conn, organization_id))
        case Leaf(name, value, path):
            look_up = RESOLVERS.get(name)
            if look_up is None:
                return node
            return Leaf(name, await look_up(conn, organization_id, value, path), path)
    raise AssertionError(node)


async def parse_and_resolve(
    conn: AsyncConnection, organization_id: str, data: Any, path: str = "filter", limits: FilterLimits | None = None
) -> Node:
    return await resolve(parse_filter(data, path, limits), conn, organization_id)


async def slice_filter(conn: AsyncConnection, organization_id: str, slice_id: str, limits: FilterLimits) -> Node:
    stmt = select(S.filter).where(S.id == slice_id, S.organization_id == organization_id)
    saved = (await conn.execute(stmt)).scalar_one_or_none()
    if saved is None:
        raise not_found("Slice", slice_id, "slice")
    return await parse_and_resolve(conn, organization_id, orjson.loads(saved), "slice.filter", limits)


@dataclass(frozen=True)
class Scope:
    """The rows a request means (`where`, organization included) and, with a similarTo/search leaf, their ranking:
    then `where` admits exactly the ranked rows, and pages go in rank order (server.loading.ranked). `count` is the
    `SELECT count(*)` of the same rows, compiled for counting (compile.count_statement) from the resolved `nodes` when
    first asked for (a page that does not select its count never builds it). `probe`, when the tree has
    relation sets and no ranking, holds the same rows with the sets probed per row too (compile.probe_where), for
    pages that stop early (server.loading.pages). `facets`, when every leaf has an array form and nothing ranks, counts
    the same rows from the facet arrays (server.facets), and those of blocks written since from SQL. Counting goes
    through server.query.count: `count` is its reference, `facets` its accelerator. Which projects and model runs each
    row's lines include is another thing: server.loading.plan.Included."""

    where: ColumnElement[bool]
    organization_id: str
    nodes: tuple[Node | None, ...]
    ranking: Ranking | None = None
    probe: Probed | None = None
    facets: FacetQuery | None = None

    @cached_property
    def count(self) -> Select[Any]:
        return count_statement(self.organization_id, *self.nodes)


async def request_where(
    conn: AsyncConnection,
    organization_id: str,
    filter: dict[str, Any] | None = None,
    slice_id: str | None = None,
    data_row_ids: Sequence[str] | None = None,
    limits: FilterLimits | None = None,
) -> Scope:
    """Compile everything the caller gave into one WHERE (ranking first, among the rows the rest admits);
    bad input raises before any row is read."""
    limits = limits or FilterLimits()
    nodes: list[Node] = []
    if filter is not None:
        nodes.append(await parse_and_resolve(conn, organization_id, filter, "filter", limits))
    if slice_id is not None:
        nodes.append(await slice_filter(conn, organization_id, slice_id, limits))
    if data_row_ids is not None:
        if not data_row_ids:
            raise bad_input("dataRowIds is empty; omit it to export every matching row.", "dataRowIds")
        nodes.append(Leaf("ids", list(data_row_ids), "dataRowIds"))
    resolved, ranking = await resolve_rankings(
        conn, organization_id, nodes, lambda *n: scoped_where(organization_id, *n)
    )
    where, trees = scoped_where(organization_id, *resolved), tuple(resolved)
    if ranking:
        return Scope(where, organization_id, trees, ranking)
    covered = cover(*resolved)
    facets = None if covered is None else FacetQuery(organization_id, covered, trees)
    return Scope(where, organization_id, trees, None, probe_where(organization_id, *resolved), facets)


async def for_every_page(conn: AsyncConnection, scope: Scope, matching: int, size: int) -> Scope:
    """The scope an export pages through: it reads every page, so probing stays only when `size` matching rows are
    expected within one window (from `matching` of the organization's rows); a sparser filter pays for its sets
    once a page either way, and the probes of every window on top."""
    if scope.probe is None:
        return scope
    organization = T.organization_id == scope.probe.organization_id
    stmt = select(func.count()).select_from(DataRow.__table__).where(organization)
    rows = int((await conn.execute(stmt)).scalar_one())
    return scope if size * rows <= max(matching, 1) * PROBE_WINDOW_MAX else replace(scope, probe=None)

"""compile_filter: a pure fold of a resolved tree into one SQLAlchemy boolean expression (no I/O); count_statement:
the same rows as one `SELECT count(*)` shaped for counting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, intersect, literal_column, not_, or_, select

from server.filters.leaves import LEAVES, T
from server.filters.tree import And, Leaf, Node, Not, Or
from server.models import DataRow


def compile_filter(node: Node, organization_id: str) -> ColumnElement[bool]:
    """`organization_id` scopes the relation subqueries too, so their indexes lead with the tenant."""
    match node:
        case And(children):
            return and_(*(compile_filter(c, organization_id) for c in children))
        case Or(children):
            return or_(*(compile_filter(c, organization_id) for c in children))
        case Not(child):
            return not_(compile_filter(child, organization_id))
        case Leaf(name, value, _path):
            return LEAVES[name].build(value, organization_id)
    raise AssertionError(node)


def scoped_where(organization_id: str, *nodes: Node | None) -> ColumnElement[bool]:
    """The organization's rows matching every given (resolved) tree (slice and filter together mean both)."""
    clauses = [compile_filter(n, organization_id) for n in nodes if n is not None]
    return and_(T.organization_id == organization_id, *clauses)


def _conjuncts(node: Node) -> Iterator[Node]:
    if isinstance(node, And):
        for child in node.children:
            yield from _conjuncts(child)
    else:
        yield node


def _rows(node: Node, organization_id: str) -> tuple[Select[Any], bool] | None:
    """A relation leaf's id set and whether it holds the organization's rows only; None for any other node."""
    spec = LEAVES[node.name] if isinstance(node, Leaf) else None
    rows = spec.rows(node.value, organization_id) if spec is not None and spec.rows is not None else None
    return None if rows is None else (rows, spec.tenant_rows)


def _sorted_ids(rows: Select[Any]) -> Select[Any]:
    """The set's ids as an expression (`id || ''`), not the bare column: SQLite then reads the set from the index its
    `IN` would use and sorts what it found, instead of walking a data_row_id index in order and reading the table
    for every entry to test the leaf's conditions."""
    return rows.with_only_columns(rows.selected_columns[0].concat(""))


def _count(where: ColumnElement[bool]) -> Select[Any]:
    return select(func.count()).select_from(DataRow.__table__).where(where)


def count_statement(organization_id: str, *nodes: Node | None) -> Select[Any]:
    """`SELECT count(*)` of the rows of `scoped_where`, shaped for counting: the relation sets ANDed at the top are
    intersected (`a INTERSECT b … ORDER BY 1`). Sorted, SQLite merges the sets instead of building a temporary
    b-tree of ids per `IN`; PostgreSQL hashes them once. When nothing else remains and a set is the organization's
    alone, the intersection is counted as it is; otherwise `datarow.id IN (…)` with the other conditions. Pages keep
    `scoped_where`: there the separate `IN`s let PostgreSQL walk datarow in key order and stop after one page."""
    conjuncts = [(c, _rows(c, organization_id)) for n in nodes if n is not None for c in _conjuncts(n)]
    sets = [s for _, s in conjuncts if s is not None]
    if len(sets) < 2:
        return _count(scoped_where(organization_id, *nodes))
    intersected = intersect(*(_sorted_ids(rows) for rows, _ in sets)).order_by(literal_column("1"))
    rest = [compile_filter(c, organization_id) for c, s in conjuncts if s is None]
    if not rest and any(tenant for _, tenant in sets):
        return select(func.count()).select_from(intersected.subquery())
    return _count(and_(T.organization_id == organization_id, T.id.in_(intersected), *rest))

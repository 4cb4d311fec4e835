"""compile_filter: a pure fold of a resolved tree into one SQLAlchemy boolean expression (no I/O)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, intersect, not_, or_

from server.filters.leaves import LEAVES, T
from server.filters.tree import And, Leaf, Node, Not, Or


def compile_filter(node: Node, organization_id: str) -> ColumnElement[bool]:
    """`organization_id` scopes the relation subqueries too, so their indexes lead with the tenant."""
    match node:
        case And(children):
            return _all(children, organization_id)
        case Or(children):
            return or_(*(compile_filter(c, organization_id) for c in children))
        case Not(child):
            return not_(compile_filter(child, organization_id))
        case Leaf(name, value, _path):
            return LEAVES[name].build(value, organization_id)
    raise AssertionError(node)


def _row_ids(node: Node, organization_id: str) -> Select[Any] | None:
    spec = LEAVES[node.name] if isinstance(node, Leaf) else None
    return None if spec is None or spec.row_ids is None else spec.row_ids(node.value, organization_id)


def _all(children: tuple[Node, ...], organization_id: str) -> ColumnElement[bool]:
    """Two or more relation leaves side by side become one `id IN (a INTERSECT b …)`: each set is read once from
    its covering index and the sets are intersected before the datarow table is probed."""
    sets = {i: s for i, c in enumerate(children) if (s := _row_ids(c, organization_id)) is not None}
    if len(sets) < 2:
        return and_(*(compile_filter(c, organization_id) for c in children))
    rest = (compile_filter(c, organization_id) for i, c in enumerate(children) if i not in sets)
    return and_(T.id.in_(intersect(*sets.values())), *rest)


def scoped_where(organization_id: str, *nodes: Node | None) -> ColumnElement[bool]:
    """The organization's rows matching every given (resolved) tree (slice and filter together mean both)."""
    clauses = [compile_filter(n, organization_id) for n in nodes if n is not None]
    return and_(T.organization_id == organization_id, *clauses)

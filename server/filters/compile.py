"""compile_filter: a pure fold of a resolved tree into one SQLAlchemy boolean expression (no I/O)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, not_, or_

from server.filters.leaves import LEAVES, T
from server.filters.tree import And, Leaf, Node, Not, Or


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

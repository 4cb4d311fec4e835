"""compile_filter: a pure fold of the tree into one SQLAlchemy boolean expression (no I/O)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, not_, or_, true

from server.filters.leaves import LEAVES, T
from server.filters.tree import And, Leaf, Node, Not, Or


def compile_filter(node: Node) -> ColumnElement[bool]:
    match node:
        case And(children):
            return and_(*(compile_filter(c) for c in children))
        case Or(children):
            return or_(*(compile_filter(c) for c in children))
        case Not(child):
            return not_(compile_filter(child))
        case Leaf(name, value, path):
            return LEAVES[name](value, path)
    raise AssertionError(node)


def scoped_where(organization_id: str, *nodes: Node | None) -> ColumnElement[bool]:
    """The organization's rows matching every given tree (slice and filter together mean both)."""
    clauses = [compile_filter(n) for n in nodes if n is not None]
    return (
        and_(T.organization_id == organization_id, *clauses)
        if clauses
        else and_(T.organization_id == organization_id, true())
    )

"""DataRowFilter: parse input into a small tree, resolve names against the DB, then compile it, purely, to one WHERE."""

from server.filters.compile import compile_filter, scoped_where
from server.filters.tree import And, Leaf, Node, Not, Or, parse_filter
from server.filters.values import FilterLimits

__all__ = ["And", "FilterLimits", "Leaf", "Node", "Not", "Or", "compile_filter", "parse_filter", "scoped_where"]

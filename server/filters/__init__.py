"""DataRowFilter: parse input into a small tree, then compile it, purely, to one SQL WHERE."""

from server.filters.compile import compile_filter, scoped_where
from server.filters.tree import And, Leaf, Node, Not, Or, parse_filter

__all__ = ["And", "Leaf", "Node", "Not", "Or", "compile_filter", "parse_filter", "scoped_where"]

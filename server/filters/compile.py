"""compile_filter: a pure fold of a resolved tree into one SQLAlchemy boolean expression (no I/O), with each relation
leaf as `datarow.id IN (set)` (under a `not` or an `or`, an `EXISTS` on PostgreSQL: `member`) or, for probing
(`probe_where`), as a correlated `EXISTS`; count_statement: the same rows as one `SELECT count(*)` shaped for
counting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    distinct,
    exists,
    func,
    intersect,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server.filters.leaves import LEAVES, T
from server.filters.tree import And, Leaf, Node, Not, Or
from server.models import DataRow

Semi = Callable[[Select[Any]], ColumnElement[bool]]


def in_set(rows: Select[Any]) -> ColumnElement[bool]:
    return T.id.in_(rows)


class rare(FunctionElement[bool]):
    """A condition true for very few rows, said to SQLite's planner (`likelihood`; the bare condition elsewhere): a
    probe's correlation, so SQLite looks rows up by it even without statistics, instead of walking a covering index
    range (`schema_id, number_value`) for every probe."""

    inherit_cache = True  # untyped: a Boolean would be compared with 1 on SQLite


@compiles(rare, "sqlite")
def _rare_on_sqlite(element: rare, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.000001)"


@compiles(rare)
def _rare(element: rare, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


class by_engine(FunctionElement[bool]):
    """Two spellings of one condition: the second on PostgreSQL, the first elsewhere."""

    inherit_cache = True


@compiles(by_engine)
def _elsewhere(element: by_engine, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses.clauses[0], **kw)})"


@compiles(by_engine, "postgresql")
def _on_postgresql(element: by_engine, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses.clauses[1], **kw)})"


def member(rows: Select[Any]) -> ColumnElement[bool]:
    """`in_set` where its truth is negated or ORed: PostgreSQL turns an `IN (set)` into a join only as a conjunct of
    the WHERE; elsewhere it tests each row against the set as a subplan, hashed only when the planner expects the
    set to fit in `work_mem`, else rescanned for every row (a `NOT IN` over 400k ids ran for minutes). There it is
    `EXISTS (SELECT 1 FROM (set) WHERE id = datarow.id)`: an anti-join under `NOT`, an index probe per row under
    `OR`, linear either way, and free of `NOT IN`'s NULL semantics. SQLite builds an `IN` set once in any position,
    so it keeps the `IN`."""
    found = rows.subquery()
    probe = exists(select(literal_column("1")).select_from(found).where(found.c[0] == T.id))
    return by_engine(in_set(rows), probe)


def probe_set(rows: Select[Any]) -> ColumnElement[bool]:
    """The same membership as a correlated `EXISTS` on the set's own row column: one index probe per candidate."""
    return exists(rows.where(rare(rows.selected_columns[0] == T.id)))


def held_probe(rows: Select[Any]) -> ColumnElement[bool]:
    """`probe_set` that PostgreSQL keeps a per-row probe: it turns an `EXISTS` into a join (hashing the whole set)
    unless the subquery has an OFFSET. For a count over a few thousand rows (server.facets.count)."""
    return exists(rows.where(rare(rows.selected_columns[0] == T.id)).offset(0))


def _nested(semi: Semi) -> Semi:
    """How a set is tested under a `not` or an `or`: `member` in place of `in_set`."""
    return member if semi is in_set else semi


def compile_filter(node: Node, organization_id: str, semi: Semi = in_set) -> ColumnElement[bool]:
    """`organization_id` scopes the relation subqueries too, so their indexes lead with the tenant; `semi` says how a
    relation leaf's id set is tested (`NOT` of it for a set of rows that must not match), `_nested(semi)` under a
    `not` or an `or`; a column leaf builds itself."""
    match node:
        case And(children):
            return and_(*(compile_filter(c, organization_id, semi) for c in children))
        case Or(children):
            return or_(*(compile_filter(c, organization_id, _nested(semi)) for c in children))
        case Not(child):
            return not_(compile_filter(child, organization_id, _nested(semi)))
        case Leaf(name, value, _path):
            build = LEAVES[name].build
            if build is not None:
                return build(value, organization_id)
            found, excluded = _rows(node, organization_id), _absent(node, organization_id)
            if found is not None:
                return semi(found)
            return true() if excluded is None else not_(_nested(semi)(excluded))
    raise AssertionError(node)


def _trees(organization_id: str, nodes: tuple[Node | None, ...], semi: Semi = in_set) -> list[ColumnElement[bool]]:
    return [compile_filter(n, organization_id, semi) for n in nodes if n is not None]


def scoped_where(organization_id: str, *nodes: Node | None, semi: Semi = in_set) -> ColumnElement[bool]:
    """The organization's rows matching every given (resolved) tree (slice and filter together mean both); `semi`
    tests the relation sets (`held_probe`: per row)."""
    return and_(T.organization_id == organization_id, *_trees(organization_id, nodes, semi))


@dataclass(frozen=True)
class Probed:
    """The rows of `scoped_where` two ways: `sets` tests each relation leaf as `datarow.id IN (set)`, `probes` as a
    correlated `EXISTS` (the organization condition apart, so `split` keeps it outside, where an index can use it:
    SQLite factors a term out of an `OR` only when both sides bind the very same value, which separate parameters
    never are)."""

    organization_id: str
    sets: ColumnElement[bool]
    probes: ColumnElement[bool]

    def split(self, probed: ColumnElement[bool], rest: ColumnElement[bool]) -> ColumnElement[bool]:
        """The same rows: those meeting `probed` tested by probes, those meeting `rest` by the sets. An `OR` of `AND`s
        in the WHERE, which SQLite evaluates with jumps: a row stops at its first failing test, and a set is built
        only when a row first reaches it (a `CASE` would compute every test of its branch as a value)."""
        either = or_(and_(probed, self.probes), and_(rest, self.sets))
        return and_(T.organization_id == self.organization_id, either)


def _leaves(node: Node) -> Iterator[Node]:
    match node:
        case And(children) | Or(children):
            for child in children:
                yield from _leaves(child)
        case Not(child):
            yield from _leaves(child)
        case _:
            yield node


def probe_where(organization_id: str, *nodes: Node | None) -> Probed | None:
    """The trees both ways (`Probed`); None when no leaf compiles to a set."""
    leaves = [leaf for n in nodes if n is not None for leaf in _leaves(n)]
    if all(_rows(leaf, organization_id) is None and _absent(leaf, organization_id) is None for leaf in leaves):
        return None
    sets, probes = _trees(organization_id, nodes), _trees(organization_id, nodes, probe_set)
    return Probed(organization_id, and_(*sets), and_(*probes))


def _conjuncts(node: Node) -> Iterator[Node]:
    if isinstance(node, And):
        for child in node.children:
            yield from _conjuncts(child)
    else:
        yield node


def _absent(node: Node, organization_id: str) -> Select[Any] | None:
    """A relation leaf's set of rows that must not match (`NOT IN`); None for any other node."""
    absent = LEAVES[node.name].absent if isinstance(node, Leaf) else None
    return absent(node.value, organization_id) if isinstance(node, Leaf) and absent is not None else None


def _rows(node: Node, organization_id: str) -> Select[Any] | None:
    """A relation leaf's id set (the organization's rows only); None for any other node."""
    rows = LEAVES[node.name].rows if isinstance(node, Leaf) else None
    return rows(node.value, organization_id) if isinstance(node, Leaf) and rows is not None else None


def _sorted_ids(rows: Select[Any]) -> Select[Any]:
    """The set's ids as an expression (`id || ''`), not the bare column: SQLite then reads the set from the index its
    `IN` would use and sorts what it found, instead of walking a data_row_id index in order and reading the table
    for every entry to test the leaf's conditions."""
    return rows.with_only_columns(rows.selected_columns[0].concat(""))


def _count(where: ColumnElement[bool]) -> Select[Any]:
    return select(func.count()).select_from(DataRow.__table__).where(where)


def _count_distinct(rows: Select[Any]) -> Select[Any]:
    """A tree that is one set of the organization's rows: its distinct ids, counted without `datarow` (a row in two
    projects, or with two labels using a feature, is one row)."""
    ids = rows.subquery()
    return select(func.count(distinct(ids.c[0]))).select_from(ids)


def _complement(node: Node, organization_id: str) -> Select[Any] | None:
    """The set whose complement among the organization's rows `node` is: of a negated relation leaf, its rows; of a
    leaf that excludes a set itself, that set. None for any other node."""
    if isinstance(node, Not):
        return _rows(node.child, organization_id)
    return _absent(node, organization_id) if _rows(node, organization_id) is None else None


def _negated_absent(node: Node, organization_id: str) -> Select[Any] | None:
    """The rows of a negated leaf that excludes a set itself: that set. None for any other node."""
    if isinstance(node, Not) and _rows(node.child, organization_id) is None:
        return _absent(node.child, organization_id)
    return None


def _count_complement(organization_id: str, rows: Select[Any]) -> Select[Any]:
    """The organization's rows not in `rows` (a set of its rows only), counted as the difference of two counts: each
    one read of an index, where testing every data row against the set builds the set and probes it per row."""
    every = select(func.count()).select_from(DataRow.__table__).where(T.organization_id == organization_id)
    return select(every.scalar_subquery() - _count_distinct(rows).scalar_subquery())


def count_statement(organization_id: str, *nodes: Node | None) -> Select[Any]:
    """`SELECT count(*)` of the rows of `scoped_where`, shaped for counting: the relation sets ANDed at the top are
    intersected (`a INTERSECT b … ORDER BY 1`). Sorted, SQLite merges the sets instead of building a temporary
    b-tree of ids per `IN`; PostgreSQL hashes them once. When nothing else remains, the intersection (of the
    organization's rows only, as every set is) is counted as it is; otherwise `datarow.id IN (…)` with the other
    conditions. A tree of one set counts its distinct ids; a tree of one set's complement (a negated relation leaf,
    a leaf that excludes a set) is the organization's row count less them. Pages keep `scoped_where`: there the
    separate `IN`s let PostgreSQL walk datarow in key order and stop after one page."""
    conjuncts = [(c, _rows(c, organization_id)) for n in nodes if n is not None for c in _conjuncts(n)]
    sets = [s for _, s in conjuncts if s is not None]
    if len(conjuncts) == 1 and sets:
        return _count_distinct(sets[0])
    if len(conjuncts) == 1 and (found := _negated_absent(conjuncts[0][0], organization_id)) is not None:
        return _count_distinct(found)
    if len(conjuncts) == 1 and (excluded := _complement(conjuncts[0][0], organization_id)) is not None:
        return _count_complement(organization_id, excluded)
    if len(sets) < 2:
        return _count(scoped_where(organization_id, *nodes))
    intersected = intersect(*(_sorted_ids(rows) for rows in sets)).order_by(literal_column("1"))
    rest = [compile_filter(c, organization_id) for c, s in conjuncts if s is None]
    if not rest:
        return select(func.count()).select_from(intersected.subquery())
    return _count(and_(T.organization_id == organization_id, T.id.in_(intersected), *rest))

"""A resolved filter tree as array arithmetic over facet columns (`Covered`), or None when a leaf has no exact
array form (ids, text, time ranges of the row, label activity...): the count then goes to SQL."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, reduce
from typing import TYPE_CHECKING, Any, cast

from server.facets.columns import ANY_STATUS, STATUS_CODES, batch_key, key, micros
from server.filters.leaves.annotation import AnnotationMatch
from server.filters.leaves.metadata import MetadataMatch
from server.filters.leaves.project import BATCH_PROJECTS
from server.filters.tree import And, Leaf, Node, Not, Or

if TYPE_CHECKING:
    import numpy as np

Columns = Callable[[str], "np.ndarray"]  # facet key → this chunk's array


@dataclass(frozen=True)
class Covered:
    """`mask(columns)` is the rows of one chunk that match (rows outside the organization included: the count ANDs
    `live`); `keys` are the facets it reads; when a chunk has any of `void`, it cannot say (a schema with several
    values on one row) and the count goes to SQL."""

    keys: frozenset[str]
    mask: Callable[[Columns], np.ndarray]
    void: frozenset[str] = frozenset()


def _all(parts: list[Covered], combine: Callable[[Any, Any], Any]) -> Covered:
    """The parts combined; no parts is what SQL makes of an empty set: `or` admits no row, `and` every row."""
    if not parts:
        return NO_ROW if combine is operator.or_ else EVERY_ROW
    keys = frozenset().union(*(p.keys for p in parts))
    void = frozenset().union(*(p.void for p in parts))
    return Covered(keys, lambda c: reduce(combine, (p.mask(c) for p in parts)), void)


# Constant masks over the chunk (the count ANDs `live`, so "every row" is the organization's live rows).
NO_ROW = Covered(frozenset({key("live")}), lambda c: ~c(key("live")))
EVERY_ROW = Covered(frozenset({key("live")}), lambda c: c(key("live")))


def isin(values: np.ndarray, wanted: list[Any]) -> np.ndarray:
    """`values IN wanted`; an empty `wanted` matches nothing, as in SQL."""
    import numpy as np

    return reduce(operator.or_, (values == w for w in wanted), np.zeros(values.shape, dtype=bool))


def _read(facet: str, columns: Columns) -> np.ndarray:
    return columns(facet)


def any_of(facets: list[str]) -> Covered:
    return _all([Covered(frozenset({f}), partial(_read, f)) for f in facets], operator.or_)


PROJECT_KEYS = {"projectId", "workflowStatus", "labeled", "batchIds", BATCH_PROJECTS}


def _membership(project: str, statuses: list[str] | None) -> Covered:
    facet = key("project", project)
    if statuses is None:
        return Covered(frozenset({facet}), lambda c: c(facet) != 0)
    codes = [STATUS_CODES[s] for s in statuses]
    return Covered(frozenset({facet}), lambda c: isin(c(facet), codes))


def _in_project(project: str, checked: dict[str, Any]) -> Covered:
    """The rows whose project row in `project` meets every key."""
    statuses, labeled, batches = checked.get("workflowStatus"), checked.get("labeled"), checked.get("batchIds")
    parts = [_membership(project, statuses)]
    if batches is not None:
        parts.append(any_of([batch_key(project, b) for b in batches]))
    if labeled is not None:
        has = key("labeled", project)
        parts.append(Covered(frozenset({has}), (lambda c: c(has)) if labeled else (lambda c: ~c(has))))
    return _all(parts, operator.and_)


def _in_batches(checked: dict[str, Any]) -> Covered:
    """batchIds without a projectId: a batch's rows are in its project (resolved), so the rest applies there."""
    batches = checked[BATCH_PROJECTS]
    if not batches:
        return NO_ROW
    each = [_in_project(project, checked | {"batchIds": [batch]}) for batch, project in batches.items()]
    return _all(each, operator.or_)


def _project(checked: dict[str, Any]) -> Covered | None:
    """The same project row must meet every key; without a `projectId`, `batchIds` from their resolved projects and
    `labeled` from the arrays made for it (labeledIn / unlabeledIn by status)."""
    project, labeled = checked.get("projectId"), checked.get("labeled")
    statuses: Any = checked.get("workflowStatus")  # a list of statuses, or None
    if set(checked) - PROJECT_KEYS:
        return None
    if project is not None:
        return _in_project(project, checked)
    if BATCH_PROJECTS in checked:
        return _in_batches(checked)
    if labeled is None:
        return any_of([key("status", s) for s in statuses])
    return any_of([key("labeledIn" if labeled else "unlabeledIn", s) for s in statuses or [ANY_STATUS]])


ANNOTATION_KEYS = {"feature_schema_id": "feature", "name": "featureName"}


def _annotation(match: AnnotationMatch) -> Covered | None:
    if len(match.equals) != 1 or match.equals[0][0] not in ANNOTATION_KEYS:
        return None
    column, value = match.equals[0]
    facet, low, high = key(ANNOTATION_KEYS[column], value), match.min_count, match.max_count
    if high is None:
        return Covered(frozenset({facet}), lambda c: c(facet) >= low)
    return Covered(frozenset({facet}), lambda c: (c(facet) >= low) & (c(facet) <= high))


COMPARE: dict[str, Callable[[np.ndarray, Any], np.ndarray]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "in": lambda values, wanted: isin(values, wanted),
}
VALUE_KINDS: dict[str, tuple[str, Callable[[Any], float]]] = {
    "number_value": ("number", float),
    "datetime_value": ("datetime", micros),
}


def _compared(match: MetadataMatch) -> Covered | None:
    kind, convert = VALUE_KINDS[match.column]
    if any(op not in COMPARE for op, _ in match.ops):
        return None
    facet = key(kind, match.schema_id)
    ops = [(COMPARE[op], [convert(v) for v in value] if op == "in" else convert(value)) for op, value in match.ops]
    mask = lambda c: reduce(operator.and_, (compare(c(facet), v) for compare, v in ops))  # noqa: E731
    return Covered(frozenset({facet}), mask, frozenset({key("multi", match.schema_id)}))


def _metadata(match: MetadataMatch) -> Covered | None:
    has = key("has", match.schema_id)
    if not match.ops:
        return Covered(frozenset({has}), (lambda c: c(has)) if match.exists else (lambda c: ~c(has)))
    if match.column == "option_id":
        return any_of([key("option", v) for op, value in match.ops for v in (value if op == "in" else [value])])
    return _compared(match) if match.column in VALUE_KINDS else None


LEAVES: dict[str, Callable[[Any], Covered | None]] = {
    "mediaTypes": lambda values: any_of([key("media", v) for v in values]),
    "datasetIds": lambda values: any_of([key("dataset", v) for v in values]),
    "modelRunIds": lambda runs: any_of([key("run", r) for r in runs]),
    "metadata": _metadata,
    "annotation": _annotation,
    "project": _project,
}


def _node(node: Node) -> Covered | None:
    match node:
        case And(children) | Or(children):
            parts = [_node(child) for child in children]
            if any(p is None for p in parts):
                return None
            return _all(cast(list[Covered], parts), operator.and_ if isinstance(node, And) else operator.or_)
        case Not(child):
            inner = _node(child)
            return None if inner is None else Covered(inner.keys, lambda c: ~inner.mask(c), inner.void)
        case Leaf(name, value, _path):
            cover = LEAVES.get(name)
            return None if cover is None else cover(value)
    raise AssertionError(node)


def cover(*nodes: Node | None) -> Covered | None:
    """The trees (all must hold) over facet columns; None unless every leaf has an array form."""
    parts = [_node(n) for n in nodes if n is not None]
    if not parts or any(p is None for p in parts):
        return None
    return _all(cast(list[Covered], parts), operator.and_)

"""The filter tree: frozen And/Or/Not/Leaf nodes parsed from a camelCase dict, errors labelled with their path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import bad_input, limit_exceeded
from server.filters.values import FilterLimits


@dataclass(frozen=True)
class Leaf:
    name: str
    value: Any
    path: str


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = And | Or | Not | Leaf

LOGICAL = ("and", "or", "not")


# Leaves whose value lists alternatives (a row matches when it matches any): `or` of several of one kind is one leaf.
ANY_OF = frozenset({"ids", "globalKeys", "externalIds", "datasetIds", "mediaTypes", "modelRunIds"})


def _merged(children: tuple[Node, ...], most: int) -> tuple[Node, ...]:
    """An `or`'s children with its ANY_OF leaves of one kind made one (values in order, each once, at most `most` a
    leaf), so a wide `or` compiles to one `IN` rather than an expression per leaf."""
    values: dict[str, dict[Any, None]] = {}
    first: dict[str, Leaf] = {}
    rest: list[Node] = []
    for child in children:
        if isinstance(child, Leaf) and child.name in ANY_OF:
            first.setdefault(child.name, child)
            values.setdefault(child.name, {}).update(dict.fromkeys(child.value))
        else:
            rest.append(child)
    leaves = []
    for name, kept in values.items():
        listed = list(kept)
        leaves += [Leaf(name, listed[i : i + most], first[name].path) for i in range(0, len(listed), most)]
    return (*leaves, *rest)


def _check_object(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise bad_input(f"{path} must be an object of filter conditions.", path)
    present = {k: v for k, v in data.items() if v is not None}
    if not present:
        raise bad_input(f"{path} is empty: give at least one condition (an empty filter would match every row).", path)
    return present


def count_nodes(data: Any, most: int, path: str) -> None:
    """LIMIT_EXCEEDED when the filter object holds more than `most` nodes (`and`/`or`/`not` and conditions): counted
    over the raw input, iteratively and stopping at the budget, before anything is checked or looked up."""
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if value is None:
                continue
            seen += 1
            if seen > most:
                message = f"{path} has more than {most} conditions and and/or/not nodes; split the request."
                raise limit_exceeded(message, path)
            if key in ("and", "or") and isinstance(value, list):
                stack.extend(value)
            elif key == "not":
                stack.append(value)


@dataclass(frozen=True)
class _Parser:
    limits: FilterLimits
    leaves: dict[str, Any]

    def many(self, items: Any, path: str, depth: int) -> tuple[Node, ...]:
        if not isinstance(items, list) or not items:
            raise bad_input(f"{path} must be a non-empty list of filters.", path)
        if len(items) > self.limits.max_in_list:
            raise limit_exceeded(f"{path} has {len(items)} filters; at most {self.limits.max_in_list}.", path)
        return tuple(self.one(item, f"{path}.{i}", depth + 1) for i, item in enumerate(items))

    def one(self, data: Any, path: str, depth: int) -> Node:
        if depth > self.limits.max_depth:
            raise limit_exceeded(f"{path} nests deeper than {self.limits.max_depth} levels; flatten the filter.", path)
        parts = [self.part(key, value, f"{path}.{key}", depth) for key, value in _check_object(data, path).items()]
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def part(self, key: str, value: Any, path: str, depth: int) -> Node:
        if key == "and":
            return And(self.many(value, path, depth))
        if key == "or":
            children = _merged(self.many(value, path, depth), self.limits.max_in_list)
            return children[0] if len(children) == 1 else Or(children)
        if key == "not":
            return Not(self.one(value, path, depth + 1))
        spec = self.leaves.get(key)
        if spec is None:
            known = ", ".join(sorted((*LOGICAL, *self.leaves)))
            raise bad_input(f"{path} is not a filter condition; use one of: {known}.", path)
        return Leaf(key, spec.check(value, path, self.limits), path)


def parse_filter(data: Any, path: str = "filter", limits: FilterLimits | None = None) -> Node:
    """Validate a filter object (as the GraphQL input, a slice or the CLI's JSON give it) into a tree.

    Every shape and value error is raised here, labelled with its path; names are looked up later
    (server.query.names)."""
    from server.filters.leaves import LEAVES

    limits = limits or FilterLimits()
    count_nodes(data, limits.max_nodes, path)
    return _Parser(limits, LEAVES).one(data, path, 1)

"""The filter tree: frozen And/Or/Not/Leaf nodes parsed from a camelCase dict, errors labelled with their path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import bad_input, limit_exceeded


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
MAX_DEPTH = 16


def _check_object(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise bad_input(f"{path} must be an object of filter conditions.", path)
    present = {k: v for k, v in data.items() if v is not None}
    if not present:
        raise bad_input(f"{path} is empty: give at least one condition (an empty filter would match every row).", path)
    return present


def _parse_list(items: Any, path: str, depth: int, leaves: frozenset[str]) -> tuple[Node, ...]:
    if not isinstance(items, list) or not items:
        raise bad_input(f"{path} must be a non-empty list of filters.", path)
    return tuple(_parse(item, f"{path}.{i}", depth + 1, leaves) for i, item in enumerate(items))


def _parse(data: Any, path: str, depth: int, leaves: frozenset[str]) -> Node:
    if depth > MAX_DEPTH:
        raise limit_exceeded(f"{path} nests deeper than {MAX_DEPTH} levels; flatten the filter.", path)
    present = _check_object(data, path)
    parts: list[Node] = []
    for key, value in present.items():
        sub = f"{path}.{key}"
        if key in ("and", "or"):
            children = _parse_list(value, sub, depth, leaves)
            parts.append(And(children) if key == "and" else Or(children))
        elif key == "not":
            parts.append(Not(_parse(value, sub, depth + 1, leaves)))
        elif key in leaves:
            parts.append(Leaf(key, value, sub))
        else:
            known = ", ".join(sorted((*LOGICAL, *leaves)))
            raise bad_input(f"{sub} is not a filter condition; use one of: {known}.", sub)
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def parse_filter(data: Any, path: str = "filter") -> Node:
    """Validate a filter object (as the GraphQL input, a slice or the CLI's JSON give it) into a tree."""
    from server.filters.leaves import LEAVES

    return _parse(data, path, 1, frozenset(LEAVES))

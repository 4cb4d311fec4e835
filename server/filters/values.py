"""Pure validators for leaf values: lists, enums, ranges; each error names its input path."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_

from server.errors import bad_input, limit_exceeded
from server.timefmt import parse_iso


@dataclass(frozen=True)
class FilterLimits:
    """How big a filter may be: nesting depth, the length of any `in`-style list, and its nodes (every `and`, `or`,
    `not` and condition) in all."""

    max_depth: int = 16
    max_in_list: int = 10_000
    max_nodes: int = 500

    @classmethod
    def of(cls, settings: Any) -> FilterLimits:
        return cls(settings.max_filter_depth, settings.max_in_list, settings.max_filter_nodes)


def value_list(value: Any, path: str, limits: FilterLimits) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise bad_input(f"{path} must be a non-empty list (an empty list would match no row).", path)
    if len(value) > limits.max_in_list:
        raise limit_exceeded(f"{path} lists {len(value)} values; at most {limits.max_in_list} are allowed.", path)
    return value


def string_list(value: Any, path: str, limits: FilterLimits) -> list[str]:
    items = value_list(value, path, limits)
    if not all(isinstance(v, str) for v in items):
        raise bad_input(f"{path} must list strings.", path)
    return items


def enum_list(allowed: Iterable[str]) -> Callable[[Any, str, FilterLimits], list[str]]:
    names = tuple(allowed)

    def check(value: Any, path: str, limits: FilterLimits) -> list[str]:
        items = string_list(value, path, limits)
        unknown = sorted(set(items) - set(names))
        if unknown:
            raise bad_input(f"{path} has unknown values {unknown}; use {', '.join(names)}.", path)
        return items

    return check


def known_keys(value: Any, path: str, allowed: Iterable[str]) -> dict[str, Any]:
    """A non-empty object whose keys are all in `allowed` (null values dropped)."""
    names = tuple(allowed)
    if not isinstance(value, dict):
        raise bad_input(f"{path} must be an object with some of: {', '.join(names)}.", path)
    present = {k: v for k, v in value.items() if v is not None}
    for key in present:
        if key not in names:
            raise bad_input(f"{path}.{key} is not allowed here; use {', '.join(names)}.", f"{path}.{key}")
    if not present:
        raise bad_input(f"{path} is empty: give at least one of {', '.join(names)}.", path)
    return present


BOUNDS = ("gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class Range:
    """Bounds as (operator, value) pairs; at most one lower and one upper bound."""

    bounds: tuple[tuple[str, Any], ...]

    def clause(self, column: Any) -> ColumnElement[bool]:
        from server.filters.operators import OPERATORS

        return and_(*(OPERATORS[op].build(column, v) for op, v in self.bounds))


def check_range(ops: dict[str, Any], path: str) -> Range:
    """Reject two lower (or upper) bounds and bounds that no value can satisfy (gt 5, lt 3)."""
    lower: list[tuple[str, Any]] = [(op, ops[op]) for op in ("gt", "gte") if op in ops]
    upper: list[tuple[str, Any]] = [(op, ops[op]) for op in ("lt", "lte") if op in ops]
    for side in (lower, upper):
        if len(side) > 1:
            raise bad_input(f"{path} has both {side[0][0]} and {side[1][0]}; give one of them.", path)
    if lower and upper:
        (lop, low), (uop, up) = lower[0], upper[0]
        if low > up or (low == up and (lop == "gt" or uop == "lt")):
            raise bad_input(f"{path}: {lop} {low} and {uop} {up} leave no possible value.", f"{path}.{lop}")
    return Range(tuple(lower + upper))


def to_datetime(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    raise bad_input(f"{path} must be an ISO 8601 date-time such as 2024-01-31T12:00:00Z.", path)


def datetime_range(value: Any, path: str, limits: FilterLimits) -> Range:
    ops = known_keys(value, path, BOUNDS)
    return check_range({op: to_datetime(v, f"{path}.{op}") for op, v in ops.items()}, path)

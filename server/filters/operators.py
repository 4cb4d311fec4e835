"""Comparison operators as a table: name → builder(column, value) → SQL condition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement


@dataclass(frozen=True)
class OperatorSpec:
    build: Callable[[Any, Any], ColumnElement[bool]]
    description: str


OPERATORS: dict[str, OperatorSpec] = {
    "eq": OperatorSpec(lambda c, v: c == v, "equal to"),
    "in": OperatorSpec(lambda c, v: c.in_(v), "one of the listed values"),
    "gt": OperatorSpec(lambda c, v: c > v, "greater than"),
    "gte": OperatorSpec(lambda c, v: c >= v, "greater than or equal to"),
    "lt": OperatorSpec(lambda c, v: c < v, "less than"),
    "lte": OperatorSpec(lambda c, v: c <= v, "less than or equal to"),
    "contains": OperatorSpec(
        lambda c, v: c.icontains(v, autoescape=True), "contains the substring (ASCII case-insensitive)"
    ),
}

"""Strawberry input objects → plain data: `to_plain` keys them by their GraphQL (camelCase) names, the one form
filters, slices and the CLI share; `to_plain_snake` by their Python (snake_case) names, as the server's write
functions take them."""

from __future__ import annotations

from dataclasses import Field, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from strawberry import UNSET

from server.names import camel_case
from server.timefmt import iso


def graphql_name(field: Field[Any]) -> str:
    """The name the schema gives an input's field: its own (`and_` is `and`), else the camelCase of its Python name."""
    return getattr(field, "graphql_name", None) or camel_case(field.name)


def to_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {
            graphql_name(f): to_plain(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) not in (UNSET, None)
        }
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso(value)
    return value


def to_plain_snake(value: Any) -> Any:
    """Inputs as plain data for the write functions: dataclasses → dicts keyed by Python (snake_case) names, leaving
    out only fields not given (UNSET: an explicit null stays None), enums → their values, datetimes as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain_snake(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) is not UNSET
        }
    if isinstance(value, list):
        return [to_plain_snake(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value

"""The contract's DataRowFilter input; converted to a plain dict and parsed by server.filters."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from resolvers.inputs import to_plain
from resolvers.types.data_rows import MediaType


@strawberry.input(description="Conditions side by side all hold (AND); combine with and/or/not at any depth.")
class DataRowFilter:
    and_: list[DataRowFilter] | None = strawberry.field(default=None, name="and")
    or_: list[DataRowFilter] | None = strawberry.field(default=None, name="or")
    not_: DataRowFilter | None = strawberry.field(default=None, name="not")
    ids: list[ID] | None = None
    global_keys: list[str] | None = None
    external_ids: list[str] | None = None
    dataset_ids: list[ID] | None = None
    media_types: list[MediaType] | None = None


def filter_dict(value: DataRowFilter | None) -> dict[str, Any] | None:
    """The filter as the camelCase dict that slices store and the CLI accepts (logical keys without `_`)."""
    if value is None:
        return None
    return _strip(to_plain(value))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.rstrip("_"): _strip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value

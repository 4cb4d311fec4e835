"""Scalars: DateTime in the export's one format, JSON for stored payloads (spliced, never re-parsed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from server.errors import bad_input
from server.timefmt import iso, parse_iso


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise bad_input("A DateTime must be an ISO 8601 string such as 2024-01-31T12:00:00Z.")
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise bad_input(f"{value!r} is not an ISO 8601 date-time such as 2024-01-31T12:00:00Z.") from exc


def _serialize_datetime(value: Any) -> str | None:
    return value if isinstance(value, str) else iso(value)


DateTime = NewType("DateTime", datetime)  # parsed to a datetime; a datetime or a formatted str serializes

DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description="UTC date-time, ISO 8601 with milliseconds (2024-01-31T12:00:00.000+00:00), as in export lines.",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {DateTime: DATETIME_SCALAR}

__all__ = ["JSON", "SCALAR_MAP", "DateTime"]

"""What the ingest mutations share: Strawberry inputs → snake_case dicts for the server's write functions."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from resolvers.context import Context

Info = strawberry.Info[Context, None]


def snake(value: Any) -> Any:
    """Inputs as plain data: dataclasses → dicts keyed by Python (snake_case) names, enums → their values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: snake(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) is not UNSET}
    if isinstance(value, list):
        return [snake(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def scope(info: Info) -> dict[str, Any]:
    """The keyword arguments every write function takes: the engine and the caller's organization."""
    return {"engine": info.context.engine, "organization_id": info.context.organization_id}

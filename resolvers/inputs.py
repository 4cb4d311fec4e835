"""Strawberry input objects → plain camelCase dicts (the one form filters, slices and the CLI share)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from strawberry import UNSET
from strawberry.utils.str_converters import to_camel_case

from server.timefmt import iso


def to_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {
            to_camel_case(f.name): to_plain(getattr(value, f.name))
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

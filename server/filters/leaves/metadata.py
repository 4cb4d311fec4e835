"""The metadata leaf: one schema (by id or name) and conditions on its typed value columns, never on JSON text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from server.errors import bad_input
from server.filters.leaves.spec import LeafSpec
from server.filters.values import BOUNDS, FilterLimits, known_keys, to_datetime, value_list
from server.models import MetadataValue

V = MetadataValue.__table__.c
REFS = ("schemaId", "name")
OPS = ("eq", "in", *BOUNDS, "contains", "exists")


@dataclass(frozen=True)
class MetadataQuery:
    """Checked but not yet resolved: which schema (`ref` = ("schemaId"|"name", text)) and raw operator values."""

    ref: tuple[str, str]
    ops: dict[str, Any]


@dataclass(frozen=True)
class MetadataMatch:
    """Resolved: a schema id, the typed column to compare and converted values; `exists=False` means absent."""

    schema_id: str
    column: str
    ops: tuple[tuple[str, Any], ...]
    exists: bool = True


def check(value: Any, path: str, limits: FilterLimits) -> MetadataQuery:
    present = known_keys(value, path, (*REFS, *OPS))
    refs = [k for k in REFS if k in present]
    if len(refs) != 1 or not isinstance(present[refs[0]], str):
        raise bad_input(f"{path} needs exactly one of schemaId or name (a string).", path)
    ops = {k: v for k, v in present.items() if k in OPS}
    if not ops:
        raise bad_input(f"{path} needs a condition: one of {', '.join(OPS)}.", path)
    if "exists" in ops and (len(ops) > 1 or not isinstance(ops["exists"], bool)):
        raise bad_input(f"{path}.exists takes true or false and no other condition.", f"{path}.exists")
    if "in" in ops:
        value_list(ops["in"], f"{path}.in", limits)
    return MetadataQuery((refs[0], present[refs[0]]), ops)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_input(f"{path} must be a number for this number metadata field.", path)
    return float(value)


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise bad_input(f"{path} must be a string for this string metadata field.", path)
    return value


@dataclass(frozen=True)
class Kind:
    column: str
    ops: tuple[str, ...]
    convert: Callable[[Any, str], Any]


KINDS: dict[str, Kind] = {
    "STRING": Kind("string_value", ("eq", "in", "contains", "exists"), _string),
    "NUMBER": Kind("number_value", ("eq", "in", *BOUNDS, "exists"), _number),
    "DATETIME": Kind("datetime_value", ("eq", "in", *BOUNDS, "exists"), to_datetime),
    "ENUM": Kind("option_id", ("eq", "in", "exists"), _string),
}


def convert(kind: Kind, op: str, value: Any, path: str) -> Any:
    if op == "in":
        return [kind.convert(v, f"{path}.{i}") for i, v in enumerate(value)]
    return kind.convert(value, path)


def _values(match: MetadataMatch) -> Select[Any]:
    assert isinstance(match, MetadataMatch), "metadata leaves must be resolved before compiling"
    return select(V.data_row_id).where(V.schema_id == match.schema_id)


def rows(match: MetadataMatch, org: str) -> Select[Any] | None:
    """The rows with a value that meets every operator; None for `exists: false`."""
    from server.filters.operators import OPERATORS

    values = _values(match)
    if not match.exists:
        return None
    return values.where(*(OPERATORS[op].build(V[match.column], v) for op, v in match.ops))


def absent(match: MetadataMatch, org: str) -> Select[Any] | None:
    """For `exists: false`: the rows with a value of the schema (they must not match)."""
    return None if match.exists else _values(match)


METADATA_LEAVES = {"metadata": LeafSpec(check, rows=rows, absent=absent)}

"""The metadata leaf: one schema (by id or name) and conditions on its typed value columns, never on JSON text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input, not_found
from server.filters.leaves.spec import LeafSpec
from server.filters.values import BOUNDS, FilterLimits, check_range, known_keys, to_datetime, value_list
from server.models import MetadataSchema, MetadataValue

S = MetadataSchema.__table__.c  # type: ignore[attr-defined]
V = MetadataValue.__table__.c  # type: ignore[attr-defined]
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


async def _schema(conn: AsyncConnection, org: str, query: MetadataQuery, path: str) -> Any:
    key, text = query.ref
    column = S.id if key == "schemaId" else S.name
    stmt = select(S.id, S.name, S.kind).where(S.organization_id == org, S.parent_id.is_(None), column == text)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise not_found("Metadata schema", text, f"{path}.{key}")
    return row


async def _options(conn: AsyncConnection, schema: Any, values: list[str], path: str) -> list[str]:
    """Enum values given as option ids or option names → option ids."""
    rows = (await conn.execute(select(S.id, S.name).where(S.parent_id == schema.id))).all()
    by_ref = {r.id: r.id for r in rows} | {r.name: r.id for r in rows}
    unknown = [v for v in values if v not in by_ref]
    if unknown:
        names = ", ".join(sorted(r.name for r in rows))
        raise bad_input(f"{path}: {unknown} are not options of {schema.name!r}; options: {names}.", path)
    return [by_ref[v] for v in values]


def _convert(kind: Kind, op: str, value: Any, path: str) -> Any:
    if op == "in":
        return [kind.convert(v, f"{path}.{i}") for i, v in enumerate(value)]
    return kind.convert(value, path)


async def resolve(conn: AsyncConnection, org: str, query: MetadataQuery, path: str) -> MetadataMatch:
    schema = await _schema(conn, org, query, path)
    kind = KINDS.get(schema.kind.upper())
    if kind is None:
        raise bad_input(
            f"{path}: metadata field {schema.name!r} is of kind {schema.kind}, which cannot be filtered.", path
        )
    if "exists" in query.ops:
        return MetadataMatch(schema.id, kind.column, (), exists=query.ops["exists"])
    for op in query.ops:
        if op not in kind.ops:
            raise bad_input(
                f"{path}.{op} does not apply to {schema.kind.lower()} metadata; use {', '.join(kind.ops)}.", path
            )
    ops = {op: _convert(kind, op, v, f"{path}.{op}") for op, v in query.ops.items()}
    if kind is KINDS["ENUM"]:
        ops = {op: await _enum_values(conn, schema, op, v, f"{path}.{op}") for op, v in ops.items()}
    bounds = check_range({op: v for op, v in ops.items() if op in BOUNDS}, path).bounds
    rest = tuple((op, v) for op, v in ops.items() if op not in BOUNDS)
    return MetadataMatch(schema.id, kind.column, rest + bounds)


async def _enum_values(conn: AsyncConnection, schema: Any, op: str, value: Any, path: str) -> Any:
    ids = await _options(conn, schema, value if op == "in" else [value], path)
    return ids if op == "in" else ids[0]


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


METADATA_LEAVES = {"metadata": LeafSpec(check, resolve=resolve, rows=rows, absent=absent)}

"""Metadata schemas (string, number, datetime, enum with options, embedding) and typed values checked against them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.errors import bad_input, not_found
from server.ingest.checks import check_name, check_unique, is_number, table
from server.models import MetadataSchema
from server.models.base import new_id
from server.models.catalog import OPTION_KIND, MetadataKind
from server.timefmt import iso, parse_iso

S = table(MetadataSchema).c


async def create_metadata_schema(
    engine: AsyncEngine, *, organization_id: str, name: str, kind: str, options: list[str] | None = None
) -> str:
    """One schema, plus one child schema per option of an ENUM (options only for ENUM)."""
    check_name(name, "name")
    options = options or []
    if (kind == MetadataKind.ENUM) != bool(options):
        raise bad_input("ENUM schemas need at least one option; other kinds take none.", "options")
    check_unique(options, "options", "Option")
    schema_id = new_id()
    rows = [{"id": schema_id, "organization_id": organization_id, "name": name, "kind": kind, "parent_id": None}]
    rows += [
        {"id": new_id(), "organization_id": organization_id, "name": o, "kind": OPTION_KIND, "parent_id": schema_id}
        for o in options
    ]
    async with engine.begin() as conn:
        existing = select(S.id).where(S.organization_id == organization_id, S.name == name, S.parent_id.is_(None))
        if (await conn.execute(existing)).first() is not None:
            raise bad_input(f"A metadata schema named {name!r} already exists.", "name")
        await conn.execute(table(MetadataSchema).insert(), rows)
    return schema_id


@dataclass(frozen=True)
class Schemas:
    """Every metadata schema of an organization, by id and by top-level name."""

    by_id: dict[str, Any]
    by_name: dict[str, Any]
    options: dict[tuple[str, str], Any]

    def resolve(self, field: dict[str, Any], path: str) -> Any:
        ident, name = field.get("schema_id"), field.get("name")
        if (ident is None) == (name is None):
            raise bad_input("Give exactly one of `schemaId` or `name`.", path)
        schema = self.by_id.get(ident) if ident is not None else self.by_name.get(field["name"])
        if schema is None or schema.kind == OPTION_KIND:
            raise not_found("MetadataSchema", str(ident or name), f"{path}.{'schemaId' if ident else 'name'}")
        return schema


async def load_schemas(conn: AsyncConnection, org: str) -> Schemas:
    rows = (await conn.execute(select(S.id, S.name, S.kind, S.parent_id).where(S.organization_id == org))).all()
    by_id = {r.id: r for r in rows}
    by_name = {r.name: r for r in rows if r.parent_id is None}
    options: dict[tuple[str, str], Any] = {}
    for r in rows:
        if r.parent_id is not None:
            options[(r.parent_id, r.id)] = options[(r.parent_id, r.name)] = r
    return Schemas(by_id, by_name, options)


def _string(value: Any, schema: Any, schemas: Schemas) -> dict[str, Any]:
    if not isinstance(value, str):
        raise ValueError("a string")
    return {"string_value": value, "value_json": orjson.dumps(value).decode()}


def _number(value: Any, schema: Any, schemas: Schemas) -> dict[str, Any]:
    if not is_number(value):
        raise ValueError("a finite number")
    return {"number_value": float(value), "value_json": orjson.dumps(value).decode()}


def _datetime(value: Any, schema: Any, schemas: Schemas) -> dict[str, Any]:
    try:
        parsed = parse_iso(value)
    except (TypeError, ValueError, AttributeError):
        raise ValueError("an ISO 8601 date-time such as 2024-01-31T12:00:00Z") from None
    return {"datetime_value": parsed, "value_json": orjson.dumps(iso(parsed)).decode()}


def _enum(value: Any, schema: Any, schemas: Schemas) -> dict[str, Any]:
    option = schemas.options.get((schema.id, value)) if isinstance(value, str) else None
    if option is None:
        raise ValueError("the name or id of one of its options")
    payload = {"schema_id": option.id, "schema_name": option.name}
    return {"option_id": option.id, "string_value": option.name, "value_json": orjson.dumps(payload).decode()}


def _embedding(value: Any, schema: Any, schemas: Schemas) -> dict[str, Any]:
    if not isinstance(value, list) or not value or not all(is_number(v) for v in value):
        raise ValueError("a non-empty list of finite numbers")
    return {"value_json": orjson.dumps(value).decode()}


CONVERTERS: dict[str, Callable[[Any, Any, Schemas], dict[str, Any]]] = {
    MetadataKind.STRING: _string,
    MetadataKind.NUMBER: _number,
    MetadataKind.DATETIME: _datetime,
    MetadataKind.ENUM: _enum,
    MetadataKind.EMBEDDING: _embedding,
}


def metadata_rows(org: str, row_id: str, fields: list[dict[str, Any]], schemas: Schemas, path: str) -> list[dict]:
    """MetadataValue rows of one data row; a value that does not fit its schema's kind is BAD_USER_INPUT."""
    out = []
    for index, field in enumerate(fields):
        schema = schemas.resolve(field, f"{path}.{index}")
        try:
            typed = CONVERTERS[schema.kind](field.get("value"), schema, schemas)
        except ValueError as exc:
            message = f"Metadata {schema.name!r} is {schema.kind}: its value must be {exc}."
            raise bad_input(message, f"{path}.{index}.value") from None
        base = {"string_value": None, "number_value": None, "datetime_value": None, "option_id": None}
        out.append(
            {**base, **typed, "id": new_id(), "organization_id": org, "data_row_id": row_id}
            | {"schema_id": schema.id, "position": index}
        )
    return out

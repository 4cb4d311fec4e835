"""Datasets and data rows (with attachments and metadata): validated first, then written in one transaction."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.errors import bad_input
from server.ingest.checks import check_count, check_name, check_unique, require_one, table
from server.ingest.metadata import Schemas, load_schemas, metadata_rows
from server.models import Attachment, DataRow, Dataset, MetadataValue
from server.models.base import new_id, utcnow
from server.names import snake_case
from server.search.fulltext import index_new_rows, reindex_rows

R = table(DataRow).c


async def create_dataset(
    engine: AsyncEngine,
    *,
    organization_id: str,
    name: str,
    description: str | None = None,
    created_by: str | None = None,
) -> str:
    row: dict[str, Any] = {"id": new_id(), "organization_id": organization_id, "name": check_name(name, "name")}
    row |= {"description": description, "created_by": created_by, "created_at": utcnow()}
    async with engine.begin() as conn:
        await conn.execute(table(Dataset).insert(), row)
    return row["id"]


async def update_dataset(
    engine: AsyncEngine, *, organization_id: str, dataset_id: str, name: str | None, description: str | None
) -> None:
    values: dict[str, Any] = {"description": description} if description is not None else {}
    if name is not None:
        values["name"] = check_name(name, "name")
    async with engine.begin() as conn:
        await require_one(conn, Dataset, organization_id, dataset_id, "id")
        if values:
            await conn.execute(update(table(Dataset)).where(table(Dataset).c.id == dataset_id).values(values))


async def _taken_global_keys(conn: AsyncConnection, org: str, keys: list[str], exclude: str | None = None) -> set[str]:
    stmt = select(R.global_key).where(R.organization_id == org, R.global_key.in_(keys))
    if exclude is not None:
        stmt = stmt.where(R.id != exclude)
    return set((await conn.execute(stmt)).scalars())


def _check_global_keys(rows: list[dict[str, Any]], taken: set[str], path: str) -> None:
    for index, row in enumerate(rows):
        if row.get("global_key") in taken:
            raise bad_input(f"Global key {row['global_key']!r} is already used by another data row.", f"{path}.{index}")


def _attachment_rows(org: str, row_id: str, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": new_id(), "organization_id": org, "data_row_id": row_id, "position": i}
        | {"type": a["type"], "value": a["value"], "name": a.get("name")}
        for i, a in enumerate(attachments)
    ]


def _row_values(org: str, dataset_id: str, row: dict[str, Any], created_by: str | None, path: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(),
        "organization_id": org,
        "dataset_id": dataset_id,
        "row_data": row["row_data"],
        "global_key": row.get("global_key"),
        "external_id": row.get("external_id"),
        "media_type": row["media_type"],
        "media_attributes": orjson.dumps(_media_attributes(row, f"{path}.mediaAttributes")).decode(),
        "created_at": now,
        "updated_at": now,
        "last_activity_at": now,
        "created_by": created_by,
    }


def _media_attributes(row: dict[str, Any], path: str) -> dict[str, Any]:
    """The row's media attributes with snake_case keys, as Labelbox writes them (`mimeType` → `mime_type`)."""
    value = row.get("media_attributes")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_input("mediaAttributes must be a JSON object.", path)
    named = {snake_case(k): v for k, v in value.items()}
    if len(named) != len(value):
        raise bad_input("mediaAttributes names one attribute twice (in camelCase and snake_case).", path)
    return named


def _prepare(org: str, dataset_id: str, rows: list[dict], schemas: Schemas, created_by: str | None) -> dict:
    tables: dict[str, list[dict[str, Any]]] = {"rows": [], "attachments": [], "metadata": []}
    for index, row in enumerate(rows):
        values = _row_values(org, dataset_id, row, created_by, f"rows.{index}")
        tables["rows"].append(values)
        tables["attachments"] += _attachment_rows(org, values["id"], row.get("attachments") or [])
        fields = row.get("metadata_fields") or []
        tables["metadata"] += metadata_rows(org, values["id"], fields, schemas, f"rows.{index}.metadataFields")
    return tables


async def _insert_all(conn: AsyncConnection, tables: dict[str, list[dict[str, Any]]]) -> None:
    for model, key in ((DataRow, "rows"), (Attachment, "attachments"), (MetadataValue, "metadata")):
        if tables[key]:
            await conn.execute(table(model).insert(), tables[key])


async def create_data_rows(
    engine: AsyncEngine,
    *,
    organization_id: str,
    dataset_id: str,
    rows: list[dict[str, Any]],
    created_by: str | None = None,
) -> list[str]:
    """Up to 1,000 rows with their attachments and metadata: a constant number of statements, all or nothing."""
    check_count(rows, "rows")
    check_unique((r.get("global_key") for r in rows), "rows", "Global key")
    async with engine.begin() as conn:
        await require_one(conn, Dataset, organization_id, dataset_id, "datasetId")
        keys = [r["global_key"] for r in rows if r.get("global_key") is not None]
        _check_global_keys(rows, await _taken_global_keys(conn, organization_id, keys) if keys else set(), "rows")
        tables = _prepare(organization_id, dataset_id, rows, await load_schemas(conn, organization_id), created_by)
        await _insert_all(conn, tables)
        await index_new_rows(conn, [r["id"] for r in tables["rows"]])
    return [r["id"] for r in tables["rows"]]


async def _replace_metadata(conn: AsyncConnection, org: str, row_id: str, fields: list[dict[str, Any]]) -> None:
    new = metadata_rows(org, row_id, fields, await load_schemas(conn, org), "metadataFields")
    await conn.execute(delete(table(MetadataValue)).where(table(MetadataValue).c.data_row_id == row_id))
    if new:
        await conn.execute(table(MetadataValue).insert(), new)


async def update_data_row(
    engine: AsyncEngine, *, organization_id: str, data_row_id: str, changes: dict[str, Any]
) -> None:
    """Set the given fields (rowData, globalKey, externalId, mediaAttributes); metadataFields replaces all values."""
    fields = changes.pop("metadata_fields", None)
    values = {k: v for k, v in changes.items() if v is not None}
    if "media_attributes" in values:
        values["media_attributes"] = orjson.dumps(_media_attributes(values, "mediaAttributes")).decode()
    async with engine.begin() as conn:
        await require_one(conn, DataRow, organization_id, data_row_id, "id")
        key = values.get("global_key")
        if key is not None and await _taken_global_keys(conn, organization_id, [key], exclude=data_row_id):
            raise bad_input(f"Global key {key!r} is already used by another data row.", "globalKey")
        if fields is not None:
            await _replace_metadata(conn, organization_id, data_row_id, fields)
        now = utcnow()
        await conn.execute(
            update(table(DataRow))
            .where(R.id == data_row_id)
            .values(values | {"updated_at": now, "last_activity_at": now})
        )
        await reindex_rows(conn, [data_row_id])

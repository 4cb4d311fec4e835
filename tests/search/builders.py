"""Small builders for search tests: rows, embeddings, vectors, metadata, attachments, label features."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.models import (
    Attachment,
    DataRow,
    DataRowEmbedding,
    Embedding,
    Label,
    LabelFeature,
    MetadataSchema,
    MetadataValue,
)
from server.models.base import new_id
from server.search.vectors import pack
from tests.search.catalog import Catalog


async def add_rows(conn: AsyncConnection, cat: Catalog, rows: Sequence[dict[str, Any]]) -> list[str]:
    values = [
        {
            "id": r.get("id") or new_id(),
            "organization_id": cat.org_id,
            "dataset_id": cat.dataset_id,
            "row_data": r.get("row_data", "https://example.com/x.jpg"),
            "media_type": r.get("media_type", "IMAGE"),
            "global_key": r.get("global_key"),
            "external_id": r.get("external_id"),
        }
        for r in rows
    ]
    await conn.execute(insert(DataRow.__table__), values)
    return [v["id"] for v in values]


async def add_embedding(conn: AsyncConnection, cat: Catalog, name: str, dims: int) -> str:
    embedding_id = new_id()
    row = {"id": embedding_id, "organization_id": cat.org_id, "name": name, "dims": dims}
    await conn.execute(insert(Embedding.__table__), [row])
    return embedding_id


async def add_vectors(conn: AsyncConnection, cat: Catalog, embedding_id: str, vectors: dict[str, Any]) -> None:
    values = [
        {"embedding_id": embedding_id, "data_row_id": i, "organization_id": cat.org_id, "vector": pack(v)}
        for i, v in vectors.items()
    ]
    await conn.execute(insert(DataRowEmbedding.__table__), values)


async def add_metadata(conn: AsyncConnection, cat: Catalog, row_id: str, name: str, value: str) -> None:
    schema_id = new_id()
    schema = {"id": schema_id, "organization_id": cat.org_id, "name": name, "kind": "string"}
    await conn.execute(insert(MetadataSchema.__table__), [schema])
    meta = {
        "organization_id": cat.org_id,
        "data_row_id": row_id,
        "schema_id": schema_id,
        "string_value": value,
        "value_json": f'"{value}"',
    }
    await conn.execute(insert(MetadataValue.__table__), [{"id": new_id(), **meta}])


async def add_attachment(conn: AsyncConnection, cat: Catalog, row_id: str, kind: str, value: str) -> None:
    row = {"id": new_id(), "organization_id": cat.org_id, "data_row_id": row_id, "type": kind, "value": value}
    await conn.execute(insert(Attachment.__table__), [row])


async def add_label_features(conn: AsyncConnection, cat: Catalog, row_id: str, names: Sequence[str]) -> str:
    label_id = new_id()
    await conn.execute(
        insert(Label.__table__), [{"id": label_id, "organization_id": cat.org_id, "data_row_id": row_id}]
    )
    features = [
        {
            "label_id": label_id,
            "feature_schema_id": new_id(),
            "organization_id": cat.org_id,
            "data_row_id": row_id,
            "name": name,
            "kind": "Option",
        }
        for name in names
    ]
    await conn.execute(insert(LabelFeature.__table__), features)
    return label_id

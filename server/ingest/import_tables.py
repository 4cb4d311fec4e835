"""Tables in foreign-key order, and one Core executemany per table for a batch of row dicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.models import (
    Attachment,
    Batch,
    DataRow,
    DataRowEmbedding,
    Dataset,
    Embedding,
    FeatureSchema,
    Label,
    LabelFeature,
    MetadataSchema,
    MetadataValue,
    Model,
    ModelRun,
    ModelRunDataRow,
    Ontology,
    Project,
    ProjectDataRow,
)
from server.search.fulltext import reindex_rows

Rows = dict[str, list[dict[str, Any]]]

TABLES: dict[str, Any] = {
    "ontology": Ontology,
    "dataset": Dataset,
    "featureschema": FeatureSchema,
    "project": Project,
    "batch": Batch,
    "model": Model,
    "modelrun": ModelRun,
    "metadataschema": MetadataSchema,
    "embedding": Embedding,
    "datarow": DataRow,
    "attachment": Attachment,
    "metadatavalue": MetadataValue,
    "datarowembedding": DataRowEmbedding,
    "projectdatarow": ProjectDataRow,
    "modelrundatarow": ModelRunDataRow,
    "label": Label,
    "labelfeature": LabelFeature,
}


SEARCHABLE_PARTS = ("attachment", "metadatavalue", "labelfeature")


async def write_rows(conn: AsyncConnection, rows: Rows) -> None:
    """Insert every table's rows (parents first), one statement per table."""
    for name, model in TABLES.items():
        if rows.get(name):
            await conn.execute(insert(model.__table__), rows[name])
    await reindex_rows(conn, searchable_rows(rows))


def searchable_rows(rows: Rows) -> list[str]:
    """The data rows whose full-text document these rows change: new rows, and rows given text parts."""
    ids = [r["id"] for r in rows.get("datarow", [])]
    return ids + [r["data_row_id"] for name in SEARCHABLE_PARTS for r in rows.get(name, [])]

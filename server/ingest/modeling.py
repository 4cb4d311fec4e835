"""Models, model runs (membership, labels, predictions) and embeddings (float32 little-endian vectors)."""

from __future__ import annotations

import math
import struct
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import bad_input
from server.ingest.checks import check_count, check_name, check_unique, require_data_rows, require_one, table
from server.ingest.labeling import insert_labels, label_rows, labeled_rows
from server.ingest.ontology import load_features
from server.models import DataRowEmbedding, Embedding, Model, ModelRun, ModelRunDataRow, Ontology
from server.models.base import new_id, utcnow

RUN = table(ModelRunDataRow).c
SOURCES = ("LABEL", "PREDICTION")


async def _create(
    engine: AsyncEngine, model: Any, row: dict[str, Any], parent: tuple[Any, str | None, str] | None
) -> str:
    row = {"id": new_id(), **row, "created_at": utcnow()}
    async with engine.begin() as conn:
        if parent is not None and parent[1] is not None:
            await require_one(conn, parent[0], row["organization_id"], parent[1], parent[2])
        await conn.execute(table(model).insert(), row)
    return row["id"]


async def create_model(engine: AsyncEngine, *, organization_id: str, name: str, ontology_id: str | None) -> str:
    row = {"organization_id": organization_id, "name": check_name(name, "name"), "ontology_id": ontology_id}
    return await _create(engine, Model, row, (Ontology, ontology_id, "ontologyId"))


async def create_model_run(engine: AsyncEngine, *, organization_id: str, model_id: str, name: str) -> str:
    row = {"organization_id": organization_id, "name": check_name(name, "name"), "model_id": model_id}
    return await _create(engine, ModelRun, row, (Model, model_id, "modelId"))


async def create_embedding(engine: AsyncEngine, *, organization_id: str, name: str, dims: int) -> str:
    if not 1 <= dims <= 4096:
        raise bad_input("dims runs from 1 to 4096.", "dims")
    return await _create(
        engine, Embedding, {"organization_id": organization_id, "name": check_name(name, "name"), "dims": dims}, None
    )


async def add_data_rows_to_model_run(
    engine: AsyncEngine, *, organization_id: str, model_run_id: str, data_row_ids: list[str]
) -> dict[str, str]:
    """Data row id → its new annotation_group_id; rows already in the run are BAD_USER_INPUT."""
    check_count(data_row_ids, "dataRowIds")
    check_unique(data_row_ids, "dataRowIds", "Data row")
    rows = [
        {
            "model_run_id": model_run_id,
            "data_row_id": i,
            "organization_id": organization_id,
            "annotation_group_id": new_id(),
        }
        for i in data_row_ids
    ]
    async with engine.begin() as conn:
        await require_one(conn, ModelRun, organization_id, model_run_id, "modelRunId")
        await require_data_rows(conn, organization_id, data_row_ids, "dataRowIds")
        stmt = select(RUN.data_row_id).where(RUN.model_run_id == model_run_id, RUN.data_row_id.in_(data_row_ids))
        already = set((await conn.execute(stmt)).scalars())
        for index, ident in enumerate(data_row_ids):
            if ident in already:
                raise bad_input(f"Data row {ident!r} is already in this model run.", f"dataRowIds.{index}")
        if rows:
            await conn.execute(table(ModelRunDataRow).insert(), rows)
    return {r["data_row_id"]: r["annotation_group_id"] for r in rows}


async def create_model_run_labels(
    engine: AsyncEngine, *, organization_id: str, model_run_id: str, labels: list[dict[str, Any]], source: str
) -> list[str]:
    """Labels or predictions of rows in the run, checked against the model's ontology; all or nothing."""
    check_count(labels, "labels")
    async with engine.begin() as conn:
        run = await require_one(conn, ModelRun, organization_id, model_run_id, "modelRunId")
        model = await require_one(conn, Model, organization_id, run.model_id, "modelRunId")
        row_ids = [lab["data_row_id"] for lab in labels]
        await require_data_rows(conn, organization_id, row_ids, "labels", "dataRowId")
        stmt = select(RUN.data_row_id).where(
            RUN.model_run_id == model_run_id, RUN.data_row_id.in_(sorted(set(row_ids)))
        )
        inside = set((await conn.execute(stmt)).scalars())
        for index, ident in enumerate(row_ids):
            if ident not in inside:
                message = f"Data row {ident!r} is not in this model run; add it with addDataRowsToModelRun first."
                raise bad_input(message, f"labels.{index}.dataRowId")
        scope = {"model_run_id": model_run_id, "source": source}
        features = await load_features(conn, model.ontology_id)
        rows = label_rows(organization_id, labels, scope, features, await labeled_rows(conn, row_ids))
        return await insert_labels(conn, rows)


def vector_bytes(vector: list[float], dims: int, path: str) -> bytes:
    """float32 little-endian bytes of a vector of exactly `dims` finite numbers."""
    if len(vector) != dims:
        raise bad_input(f"The vector has {len(vector)} values; this embedding has {dims} dimensions.", path)
    if not all(math.isfinite(v) for v in vector):
        raise bad_input("Vector values must be finite numbers (no NaN or infinity).", path)
    try:
        return struct.pack(f"<{dims}f", *vector)
    except (OverflowError, struct.error):
        raise bad_input("Vector values must fit a 32-bit float.", path) from None


async def set_embeddings(
    engine: AsyncEngine, *, organization_id: str, embedding_id: str, vectors: list[dict[str, Any]]
) -> int:
    """Store (or replace) one vector per data row in an embedding space."""
    check_count(vectors, "vectors")
    check_unique((v["data_row_id"] for v in vectors), "vectors", "Data row")
    async with engine.begin() as conn:
        space = await require_one(conn, Embedding, organization_id, embedding_id, "embeddingId")
        rows = [
            {"embedding_id": embedding_id, "data_row_id": v["data_row_id"], "organization_id": organization_id}
            | {"vector": vector_bytes(v["vector"], space.dims, f"vectors.{i}.vector")}
            for i, v in enumerate(vectors)
        ]
        ids = [v["data_row_id"] for v in vectors]
        await require_data_rows(conn, organization_id, ids, "vectors", "dataRowId")
        emb = table(DataRowEmbedding).c
        await conn.execute(
            delete(table(DataRowEmbedding)).where(emb.embedding_id == embedding_id, emb.data_row_id.in_(ids))
        )
        if rows:
            await conn.execute(table(DataRowEmbedding).insert(), rows)
    return len(rows)

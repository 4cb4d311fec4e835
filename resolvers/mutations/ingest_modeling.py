"""Mutations for models, model runs (rows, labels, predictions) and embeddings."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.enums import LabelSource
from resolvers.inputs import to_plain_snake
from resolvers.listings import load_one
from resolvers.mutations.ingest_common import Info, scope
from resolvers.mutations.ingest_labeling import LabelInput
from resolvers.types.catalog import Embedding, Model, ModelRun, ModelRunDataRow
from server.ingest import modeling


@strawberry.input
class VectorInput:
    data_row_id: ID
    vector: list[float]


@strawberry.type
class ModelingMutation:
    @strawberry.mutation
    async def create_model(self, info: Info, name: str, ontology_id: ID | None = None) -> Model:
        ident = await modeling.create_model(**scope(info), name=name, ontology_id=ontology_id)
        return await load_one(info.context, "model", ident)

    @strawberry.mutation
    async def create_model_run(self, info: Info, model_id: ID, name: str) -> ModelRun:
        ident = await modeling.create_model_run(**scope(info), model_id=str(model_id), name=name)
        return await load_one(info.context, "model_run", ident)

    @strawberry.mutation(description="Add rows to a run; each gets a new annotation_group_id.")
    async def add_data_rows_to_model_run(
        self, info: Info, model_run_id: ID, data_row_ids: list[ID]
    ) -> list[ModelRunDataRow]:
        groups = await modeling.add_data_rows_to_model_run(
            **scope(info), model_run_id=str(model_run_id), data_row_ids=list(data_row_ids)
        )
        return [ModelRunDataRow(data_row_id=ID(r), annotation_group_id=ID(g)) for r, g in groups.items()]

    @strawberry.mutation(description="Ground-truth labels (LABEL) or predictions (PREDICTION) of rows in the run.")
    async def create_model_run_labels(
        self, info: Info, model_run_id: ID, labels: list[LabelInput], source: LabelSource = LabelSource.LABEL
    ) -> list[ID]:
        ids = await modeling.create_model_run_labels(
            **scope(info), model_run_id=str(model_run_id), labels=to_plain_snake(labels), source=source.value
        )
        return [ID(i) for i in ids]

    @strawberry.mutation(description="A named embedding space of `dims` dimensions.")
    async def create_embedding(self, info: Info, name: str, dims: int) -> Embedding:
        ident = await modeling.create_embedding(**scope(info), name=name, dims=dims)
        return await load_one(info.context, "embedding", ident)

    @strawberry.mutation(description="Store or replace vectors of data rows; returns how many were stored.")
    async def set_embeddings(self, info: Info, embedding_id: ID, vectors: list[VectorInput]) -> int:
        return await modeling.set_embeddings(
            **scope(info), embedding_id=str(embedding_id), vectors=to_plain_snake(vectors)
        )

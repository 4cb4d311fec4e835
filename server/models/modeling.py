"""Models, model runs, model-run membership and embeddings."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, LargeBinary, true
from sqlmodel import Field

from server.models.base import TableModel, id_field, org_field, ref_field, utcnow


class Model(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=500)
    ontology_id: str | None = ref_field("ontology.id", nullable=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class ModelRun(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    model_id: str = ref_field("model.id")
    name: str = Field(max_length=500)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class ModelRunDataRow(TableModel, table=True):
    __table_args__ = (Index("ix_modelrundatarow_row", "data_row_id", "model_run_id"),)
    model_run_id: str = Field(foreign_key="modelrun.id", primary_key=True, max_length=25)
    data_row_id: str = Field(foreign_key="datarow.id", primary_key=True, max_length=25)
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    annotation_group_id: str = Field(max_length=25)


class Embedding(TableModel, table=True):
    """A named embedding space with a fixed dimension."""

    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=200)
    dims: int
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    is_custom: bool = Field(default=True, sa_column_kwargs={"server_default": true()})  # False: a precomputed one


class DataRowEmbedding(TableModel, table=True):
    """One vector (float32 little-endian bytes) of a data row in an embedding space."""

    __table_args__ = (Index("ix_datarowembedding_row", "data_row_id"),)
    embedding_id: str = Field(foreign_key="embedding.id", primary_key=True, max_length=25)
    data_row_id: str = Field(foreign_key="datarow.id", primary_key=True, max_length=25)
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

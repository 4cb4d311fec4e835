"""Ontologies and feature schemas, projects, batches, project membership, labels and their feature index."""

from __future__ import annotations

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlalchemy import Index
from sqlmodel import Field

from server.models.base import TableModel, id_field, json_text, org_field, ref_field, utcnow


class FeatureCategory(StrEnum):
    """A feature schema's `category`."""

    TOOL = "tool"
    CLASSIFICATION = "classification"
    OPTION = "option"


class Ontology(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=500)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class FeatureSchema(TableModel, table=True):
    """A tool, classification or option of an ontology; options and nested classifications point at a parent."""

    id: str = id_field()
    organization_id: str = org_field()
    ontology_id: str = ref_field("ontology.id")
    parent_id: str | None = ref_field("featureschema.id", nullable=True)
    category: str = Field(max_length=16)  # a FeatureCategory
    type: str = Field(max_length=32)  # bbox, polygon, ..., radio, checklist, text, option
    name: str = Field(max_length=500)
    value: str = Field(max_length=500)
    position: int = 0


class Project(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=500)
    description: str | None = None
    media_type: str = Field(max_length=32)
    ontology_id: str | None = ref_field("ontology.id", nullable=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Batch(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    project_id: str = ref_field("project.id")
    name: str = Field(max_length=500)
    priority: int = 5
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class ProjectDataRow(TableModel, table=True):
    """A data row's state in one project (its task): batch, priority, workflow status and history."""

    __table_args__ = (
        Index("ix_projectdatarow_row", "data_row_id", "project_id"),
        Index("ix_projectdatarow_status", "project_id", "workflow_status"),
        Index("ix_projectdatarow_batch", "batch_id"),
        Index("ix_projectdatarow_activity", "project_id", "last_activity_at"),
        Index("ix_projectdatarow_org_status", "organization_id", "workflow_status", "data_row_id"),
    )
    project_id: str = Field(foreign_key="project.id", primary_key=True, max_length=25)
    data_row_id: str = Field(foreign_key="datarow.id", primary_key=True, max_length=25)
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    batch_id: str | None = Field(default=None, foreign_key="batch.id", max_length=25)
    priority: int = 5
    workflow_status: str = Field(default="TO_LABEL", max_length=32)
    task_id: str | None = None
    task_name: str | None = None
    consensus_expected_label_count: int = 1
    workflow_history: str = json_text("[]")
    last_activity_at: NaiveDatetime = Field(default_factory=utcnow)


class Label(TableModel, table=True):
    """A label or prediction on a data row, in a project or a model run; payloads are export-shaped JSON text."""

    __table_args__ = (
        Index("ix_label_row_project", "data_row_id", "project_id"),
        Index("ix_label_row_run", "data_row_id", "model_run_id"),
        Index("ix_label_project_created", "project_id", "created_at"),
    )
    id: str = id_field()
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    data_row_id: str = Field(foreign_key="datarow.id", max_length=25)
    project_id: str | None = Field(default=None, foreign_key="project.id", max_length=25)
    model_run_id: str | None = Field(default=None, foreign_key="modelrun.id", max_length=25)
    source: str = Field(default="LABEL", max_length=16)  # LABEL | PREDICTION
    label_kind: str = Field(default="Default", max_length=32)
    version: str = Field(default="1.0.0", max_length=16)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
    created_by: str | None = None
    content_last_updated_at: NaiveDatetime | None = None  # the annotations' last change; NULL reads as updated_at
    reviews: str = json_text("[]")
    performance_details: str = json_text("{}")
    annotations: str = json_text('{"objects":[],"classifications":[],"relationships":[]}')


class LabelFeature(TableModel, table=True):
    """Normalized index of the features a label uses, so annotation filters never parse JSON."""

    __table_args__ = (
        Index("ix_labelfeature_schema_row", "feature_schema_id", "data_row_id"),
        Index("ix_labelfeature_name_row", "organization_id", "name", "data_row_id"),
        Index("ix_labelfeature_name_row_count", "organization_id", "name", "data_row_id", "count"),
        Index("ix_labelfeature_kind_row", "organization_id", "kind", "data_row_id"),
        Index("ix_labelfeature_row", "data_row_id"),
        Index("ix_labelfeature_project_row", "project_id", "data_row_id"),
        Index("ix_labelfeature_run_row", "model_run_id", "data_row_id"),
    )
    label_id: str = Field(foreign_key="label.id", primary_key=True, max_length=25)
    feature_schema_id: str = Field(primary_key=True, max_length=25)
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    data_row_id: str = Field(max_length=25)
    project_id: str | None = Field(default=None, max_length=25)
    model_run_id: str | None = Field(default=None, max_length=25)
    source: str = Field(default="LABEL", max_length=16)
    name: str = Field(max_length=500)
    kind: str = Field(max_length=64)
    count: int = 1

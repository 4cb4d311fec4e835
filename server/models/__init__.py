"""SQLModel tables, one module per aggregate; `metadata` is what Alembic's autogenerate and create_all use.

Importing a model module changes no other table: the schema is assembled here (binary collation on every short
string column, the DDL the classes cannot declare: server.models.ddl)."""

from sqlmodel import SQLModel

from server.models import ddl
from server.models.auth import ApiKey
from server.models.base import binary_collation
from server.models.catalog import (
    Attachment,
    DataRow,
    Dataset,
    MetadataSchema,
    MetadataValue,
    Organization,
)
from server.models.exports import ExportTask, Slice
from server.models.facets import FacetChunk, FacetDirty
from server.models.labeling import (
    Batch,
    FeatureSchema,
    Label,
    LabelFeature,
    Ontology,
    Project,
    ProjectDataRow,
)
from server.models.modeling import DataRowEmbedding, Embedding, Model, ModelRun, ModelRunDataRow
from server.models.search import EmbeddingGeneration, SearchDocument
from server.models.webhooks import Webhook, WebhookDelivery

metadata = SQLModel.metadata
binary_collation(metadata)
ddl.attach(metadata)

__all__ = [
    "ApiKey",
    "Attachment",
    "Batch",
    "DataRow",
    "DataRowEmbedding",
    "Dataset",
    "Embedding",
    "EmbeddingGeneration",
    "ExportTask",
    "FacetChunk",
    "FacetDirty",
    "FeatureSchema",
    "Label",
    "LabelFeature",
    "MetadataSchema",
    "MetadataValue",
    "Model",
    "ModelRun",
    "ModelRunDataRow",
    "Ontology",
    "Organization",
    "Project",
    "ProjectDataRow",
    "SearchDocument",
    "Slice",
    "Webhook",
    "WebhookDelivery",
    "metadata",
]

"""Enums shared by inputs and outputs (one GraphQL type each).

A vocabulary the server stores or checks is declared once there; `strawberry.enum` marks that class itself as the
GraphQL enum (its name, its values in their order), so the schema and the server read the same list."""

from __future__ import annotations

from enum import Enum

import strawberry

from server.filters.leaves.ranking import SearchMode
from server.loading import formats
from server.models.catalog import MediaType, MetadataKind
from server.models.exports import ExportStatus
from server.models.labeling import FeatureCategory
from server.models.webhooks import DeliveryStatus, WebhookEvent

__all__ = [
    "DeliveryStatus",
    "ExportFormat",
    "ExportStatus",
    "FeatureCategory",
    "LabelSource",
    "MediaType",
    "MetadataKind",
    "SearchMode",
    "WebhookEvent",
    "WorkflowStatus",
]

strawberry.enum(ExportStatus, name="ExportStatus")
strawberry.enum(MediaType, name="MediaType")
strawberry.enum(MetadataKind, name="MetadataKind")
strawberry.enum(FeatureCategory, name="FeatureCategory")
strawberry.enum(
    WebhookEvent,
    name="WebhookEvent",
    description="What a webhook is sent for; the message's `type` is the value's dotted name.",
)
strawberry.enum(DeliveryStatus, name="DeliveryStatus")
strawberry.enum(
    SearchMode,
    name="SearchMode",
    description="FULL_TEXT: ranked words (FTS5 bm25 / PostgreSQL ts_rank); SEMANTIC: needs the extra.",
)


@strawberry.enum
class WorkflowStatus(Enum):
    TO_LABEL = "TO_LABEL"
    IN_REVIEW = "IN_REVIEW"
    IN_REWORK = "IN_REWORK"
    DONE = "DONE"


@strawberry.enum(description="Whether an annotation is a label (ground truth) or a model's prediction.")
class LabelSource(Enum):
    LABEL = "LABEL"
    PREDICTION = "PREDICTION"


ExportFormat = strawberry.enum(
    formats.ExportFormat,
    name="ExportFormat",
    description="The envelope of each export line: LABELBOX, the format Labelbox emits today (projects.<id>.name, "
    "experiments.<model>.runs.<run>), or LABELBOX_2023_BETA, the June 2023 beta document's (project_name, "
    "models.<model>.model_runs.<run>). Annotations and data row sections are the same in both.",
)

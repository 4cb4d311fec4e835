"""Enums shared by inputs and outputs (one GraphQL type each)."""

from __future__ import annotations

from enum import Enum

import strawberry

from server.loading import formats


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

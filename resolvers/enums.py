"""Enums shared by inputs and outputs (one GraphQL type each)."""

from __future__ import annotations

from enum import Enum

import strawberry


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

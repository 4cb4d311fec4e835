"""The contract's DataRowFilter input; converted to a plain camelCase dict and parsed by server.filters."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from resolvers.enums import LabelSource, MediaType, SearchMode, WorkflowStatus
from resolvers.inputs import to_plain
from resolvers.scalars import JSON, DateTime


@strawberry.input(description="A time window; give a lower bound (gt or gte), an upper bound (lt or lte) or both.")
class DateTimeRange:
    gt: DateTime | None = None
    gte: DateTime | None = None
    lt: DateTime | None = None
    lte: DateTime | None = None


@strawberry.input(
    description="Rows with a value of one metadata field (by schemaId or name) matching the condition(s). "
    "Values follow the field's kind: strings, numbers, ISO date-times, or enum option ids/names."
)
class MetadataCondition:
    schema_id: ID | None = None
    name: str | None = None
    eq: JSON | None = None
    in_: list[JSON] | None = strawberry.field(default=None, name="in")
    gt: JSON | None = None
    gte: JSON | None = None
    lt: JSON | None = None
    lte: JSON | None = None
    contains: str | None = strawberry.field(default=None, description="Substring, ASCII case-insensitive.")
    exists: bool | None = strawberry.field(default=None, description="true: has a value; false: has none.")


@strawberry.input(
    description="Rows whose labels or predictions use a feature; every given field must match. The row's "
    "count of matching feature instances must lie in [minCount (default 1), maxCount]."
)
class AnnotationCondition:
    feature_schema_id: ID | None = None
    name: str | None = None
    kind: str | None = strawberry.field(default=None, description="e.g. ImageBoundingBox, Radio, Checklist, Text.")
    project_id: ID | None = None
    model_run_id: ID | None = None
    source: LabelSource | None = None
    min_count: int | None = None
    max_count: int | None = None


@strawberry.input(description="Rows in a project (any project when projectId is left out) matching every field.")
class ProjectCondition:
    project_id: ID | None = None
    batch_ids: list[ID] | None = None
    workflow_status: list[WorkflowStatus] | None = None
    labeled: bool | None = None
    label_created_at: DateTimeRange | None = None
    last_activity_at: DateTimeRange | None = None


@strawberry.input(
    description="Rows whose text (global key, external id, text row data, metadata strings, text attachments, "
    "label feature names and answers) holds every word of the query, best first with a score."
)
class SearchCondition:
    query: str
    mode: SearchMode = SearchMode.FULL_TEXT


@strawberry.input(
    description="Rows most similar (cosine) to a row's vector or a given vector in one embedding space, among the "
    "rows the rest of the filter admits; give dataRowId or vector, and k, minScore or both."
)
class SimilarityCondition:
    embedding: str = strawberry.field(description="The embedding's name or id.")
    data_row_id: ID | None = None
    vector: list[float] | None = None
    k: int | None = strawberry.field(default=None, description="Keep the best k rows (1 to 10,000).")
    min_score: float | None = strawberry.field(default=None, description="Keep rows scoring at least this (-1 to 1).")


@strawberry.input(
    description="Conditions side by side all hold (AND); combine with and/or/not at any depth. At most one search "
    "or similarTo condition, at top level or under `and`."
)
class DataRowFilter:
    and_: list[DataRowFilter] | None = strawberry.field(default=None, name="and")
    or_: list[DataRowFilter] | None = strawberry.field(default=None, name="or")
    not_: DataRowFilter | None = strawberry.field(default=None, name="not")
    ids: list[ID] | None = None
    global_keys: list[str] | None = None
    external_ids: list[str] | None = None
    dataset_ids: list[ID] | None = None
    media_types: list[MediaType] | None = None
    created_at: DateTimeRange | None = None
    updated_at: DateTimeRange | None = None
    metadata: MetadataCondition | None = None
    annotation: AnnotationCondition | None = None
    project: ProjectCondition | None = None
    model_run_ids: list[ID] | None = None
    search: SearchCondition | None = None
    similar_to: SimilarityCondition | None = None


def filter_dict(value: DataRowFilter | None) -> dict[str, Any] | None:
    """The filter as the camelCase dict that slices store and the CLI accepts (keys as the schema names them)."""
    return None if value is None else to_plain(value)

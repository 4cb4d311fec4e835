"""The object types the SDK reads, with exactly the field names its ORM queries select."""

from __future__ import annotations

from enum import Enum
from typing import Any, NewType

import strawberry
from strawberry import ID
from strawberry.scalars import JSON

from server.errors import bad_input
from server.labelbox.dates import sdk_datetime

# Our media types → the SDK's MediaType values (the rest are spelled alike).
MEDIA_TYPES = {"DOCUMENT": "PDF", "GEOSPATIAL": "TMS_GEO"}

UInt64 = NewType("UInt64", int)

UINT64_SCALAR = strawberry.scalar(
    name="UInt64",
    description="A byte offset or size; the SDK sends it as a string of digits.",
    serialize=int,
    parse_value=lambda v: _uint64(v),
)


def _uint64(value: Any) -> int:
    if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
        return int(value)
    raise bad_input(f"{value!r} is not a whole number of bytes.", "offset")


@strawberry.input(name="WhereUniqueIdInput")
class WhereUniqueId:
    id: ID


@strawberry.enum(name="TaskStreamType")
class TaskStreamType(Enum):
    RESULT = "RESULT"
    ERRORS = "ERRORS"


@strawberry.type(name="Dataset")
class LbDataset:
    id: ID
    name: str
    description: str | None
    created_at: str | None
    updated_at: str | None
    row_count: int

    @classmethod
    def from_row(cls, row: Any) -> LbDataset:
        return cls(
            id=ID(row.id),
            name=row.name,
            description=row.description,
            created_at=sdk_datetime(row.created_at),
            updated_at=None,
            row_count=row.row_count,
        )


@strawberry.type(name="Project", description="Fields we do not keep (auto audit, benchmark, setup) are null.")
class LbProject:
    id: ID
    name: str
    description: str | None
    created_at: str | None
    updated_at: str | None = None
    data_row_count: int
    last_activity_time: str | None
    allowed_media_type: str | None
    auto_audit_number_of_labels: int | None = None
    auto_audit_percentage: float | None = None
    editor_task_type: str | None = None
    is_benchmark_enabled: bool | None = None
    is_consensus_enabled: bool | None = None
    model_setup_complete: bool | None = None
    setup_complete: str | None = None
    upload_type: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> LbProject:
        return cls(
            id=ID(row.id),
            name=row.name,
            description=row.description,
            created_at=sdk_datetime(row.created_at),
            data_row_count=row.data_row_count,
            last_activity_time=sdk_datetime(row.last_activity_at),
            allowed_media_type=MEDIA_TYPES.get(row.media_type, row.media_type),
        )


@strawberry.type(name="ModelRun")
class LbModelRun:
    id: ID
    name: str
    model_id: str
    created_at: str | None
    updated_at: str | None = None
    created_by: str | None = None
    model_app_id: str | None = None
    training_metadata: JSON | None = None

    @classmethod
    def from_row(cls, row: Any) -> LbModelRun:
        return cls(id=ID(row.id), name=row.name, model_id=row.model_id, created_at=sdk_datetime(row.created_at))


@strawberry.type(name="Organization")
class LbOrganization:
    id: ID
    name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@strawberry.type(name="SavedQuery", description="A slice; `filter` is our DataRowFilter JSON.")
class LbSavedQuery:
    id: ID
    name: str
    description: str | None
    filter: JSON
    created_at: str | None
    updated_at: str | None


@strawberry.type(name="Range")
class LbRange:
    start: UInt64
    end: UInt64


@strawberry.type(name="ExportMetadataHeader")
class LbMetadataHeader:
    total_size: UInt64
    total_lines: int


@strawberry.type(name="ExportFileInfo")
class LbFileInfo:
    offsets: LbRange
    lines: LbRange
    file: str

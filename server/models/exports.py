"""Saved filters (slices) and export tasks."""

from __future__ import annotations

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Integer, Text
from sqlmodel import Field

from server.models.base import TableModel, id_field, org_field, utcnow


class Slice(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=500)
    filter: str = Field(sa_column=Column(Text, nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class ExportStatus(StrEnum):
    """An export task's `status`: queued, claimed by a worker, then one of the three final states."""

    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


ACTIVE = (ExportStatus.QUEUED.value, ExportStatus.IN_PROGRESS.value)  # a task still to run or running
TERMINAL = tuple(s.value for s in ExportStatus if s.value not in ACTIVE)  # a task that ended
EXPIRED = "expired"  # how the failure reason of a task whose result was deleted after its time to live begins


class ExportTask(TableModel, table=True):
    """An export's request (filter, params) and its progress; survives restarts."""

    __table_args__ = (
        Index("ix_exporttask_status", "status", "created_at"),
        Index("ix_exporttask_org_started", "organization_id", "started_at"),
    )
    id: str = id_field()
    organization_id: str = org_field()
    status: str = Field(default=ExportStatus.QUEUED.value, max_length=16)  # an ExportStatus
    request: str = Field(sa_column=Column(Text, nullable=False))
    total_rows: int | None = None
    row_count: int = 0
    error_count: int = 0
    bytes_written: int = 0
    resume_cursor: str | None = None
    failure_reason: str | None = None
    sha256: str | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    started_at: NaiveDatetime | None = None
    completed_at: NaiveDatetime | None = None
    expires_at: NaiveDatetime | None = None
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: NaiveDatetime | None = None  # the claiming worker renews it; once past, any worker may reclaim
    # How often the task was claimed again after its worker stopped renewing the lease (died running it).
    reclaims: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # object storage: sizes of the part objects uploaded so far, {"result": [...], "errors": [...]} (JSON)
    storage_parts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

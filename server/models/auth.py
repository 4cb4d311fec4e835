"""API keys: only a SHA-256 hash of each key is stored; `prefix` lets people recognise a key in listings."""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlmodel import Field

from server.models.base import TableModel, id_field, org_field, utcnow


class ApiKey(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=200)
    hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    admin: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    revoked_at: NaiveDatetime | None = None

"""What a search test writes into: an engine, an organization and one dataset of it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Catalog:
    engine: AsyncEngine
    org_id: str
    dataset_id: str

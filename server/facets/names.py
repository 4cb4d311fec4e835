"""The names behind a breakdown's ids (datasets, projects, model runs and their models, feature schemas, enum options
and their schemas), one statement per family, scoped to the organization."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from server.facets.breakdown import Breakdown
from server.models import Dataset, FeatureSchema, MetadataSchema, Model, ModelRun, Project

Names = dict[str, tuple[Any, ...]]  # id → (name, and the family's other columns)


async def _names(conn: AsyncConnection, organization_id: str, model: Any, ids: Iterable[str], *extra: Any) -> Names:
    ids = sorted(ids)
    if not ids:
        return {}
    table = model.__table__
    stmt = select(table.c.id, table.c.name, *extra).where(
        table.c.organization_id == organization_id, table.c.id.in_(ids)
    )
    return {row[0]: tuple(row[1:]) for row in await conn.execute(stmt)}


async def _runs(conn: AsyncConnection, organization_id: str, ids: Iterable[str]) -> Names:
    runs, models = ModelRun.__table__, Model.__table__
    stmt = (
        select(runs.c.id, runs.c.name, models.c.id, models.c.name)
        .join_from(runs, models, models.c.id == runs.c.model_id)
        .where(runs.c.organization_id == organization_id, runs.c.id.in_(sorted(ids)))
    )
    return {row[0]: tuple(row[1:]) for row in await conn.execute(stmt)}


async def _options(conn: AsyncConnection, organization_id: str, ids: Iterable[str]) -> Names:
    option, parent = MetadataSchema.__table__, aliased(MetadataSchema.__table__)
    stmt = (
        select(option.c.id, option.c.name, parent.c.id, parent.c.name)
        .join_from(option, parent, parent.c.id == option.c.parent_id)
        .where(option.c.organization_id == organization_id, option.c.id.in_(sorted(ids)))
    )
    return {row[0]: tuple(row[1:]) for row in await conn.execute(stmt)}


async def facet_names(conn: AsyncConnection, organization_id: str, counts: Breakdown) -> dict[str, Names]:
    """Per family (`datasets`, `projects`, `model_runs`, `features`, `options`), id → names."""
    return {
        "datasets": await _names(conn, organization_id, Dataset, counts.datasets),
        "projects": await _names(conn, organization_id, Project, counts.projects.keys() | counts.labeled.keys()),
        "model_runs": await _runs(conn, organization_id, counts.model_runs),
        "features": await _names(conn, organization_id, FeatureSchema, counts.features),
        "options": await _options(conn, organization_id, counts.options),
    }

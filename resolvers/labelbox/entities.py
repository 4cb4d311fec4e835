"""The records the SDK fetches before exporting (dataset, project, model run, slice), one small select each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import DataRow, Dataset, ModelRun, Project, ProjectDataRow, Slice

D, R, P, M, S = (t.__table__.c for t in (Dataset, DataRow, Project, ModelRun, Slice))
PDR = ProjectDataRow.__table__.c


async def _first(engine: AsyncEngine, stmt: Any) -> Any | None:
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).first()


async def dataset(engine: AsyncEngine, org_id: str, dataset_id: str) -> Any | None:
    rows = select(func.count()).where(R.dataset_id == D.id).scalar_subquery().label("row_count")
    return await _first(engine, select(*D, rows).where(D.id == dataset_id, D.organization_id == org_id))


async def project(engine: AsyncEngine, org_id: str, project_id: str) -> Any | None:
    members = select(func.count(), func.max(PDR.last_activity_at)).where(PDR.project_id == P.id)
    return await _first(
        engine,
        select(
            *P,
            members.with_only_columns(func.count()).scalar_subquery().label("data_row_count"),
            members.with_only_columns(func.max(PDR.last_activity_at)).scalar_subquery().label("last_activity_at"),
        ).where(P.id == project_id, P.organization_id == org_id),
    )


async def model_run(engine: AsyncEngine, org_id: str, model_run_id: str) -> Any | None:
    return await _first(engine, select(*M).where(M.id == model_run_id, M.organization_id == org_id))


async def saved_query(engine: AsyncEngine, org_id: str, slice_id: str) -> Any | None:
    return await _first(engine, select(*S).where(S.id == slice_id, S.organization_id == org_id))

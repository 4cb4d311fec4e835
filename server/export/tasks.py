"""Export task records: create, claim, progress, finish. The database is the source of truth (survives restarts)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.params import ExportParams
from server.export.wakeups import announce
from server.models import ExportTask
from server.models.base import new_id, utcnow
from server.models.exports import EXPIRED, TERMINAL, ExportStatus

log = logging.getLogger("catalog_export.export")
E = ExportTask.__table__.c


@dataclass(frozen=True)
class ExportRequest:
    """What to export: filter trees as given (camelCase dicts), an optional slice id, explicit ids, and params."""

    filter: dict[str, Any] | None = None
    slice_id: str | None = None
    data_row_ids: tuple[str, ...] = ()
    params: ExportParams = field(default_factory=ExportParams)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "filter": self.filter,
                "slice_id": self.slice_id,
                "data_row_ids": list(self.data_row_ids),
                "params": self.params.to_json(),
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> ExportRequest:
        data = orjson.loads(raw)
        return cls(
            filter=data["filter"],
            slice_id=data["slice_id"],
            data_row_ids=tuple(data["data_row_ids"]),
            params=ExportParams.from_json(data["params"]),
        )


def result_path(export_dir: Path, task_id: str) -> Path:
    return export_dir / f"{task_id}.ndjson"


def errors_path(export_dir: Path, task_id: str) -> Path:
    return export_dir / f"{task_id}.errors.ndjson"


async def create_task(engine: AsyncEngine, organization_id: str, request: ExportRequest) -> str:
    return str((await queue_task(engine, organization_id, request)).id)


async def queue_task(engine: AsyncEngine, organization_id: str, request: ExportRequest) -> Any:
    """Store a QUEUED task and wake the listening workers; the row as stored (a worker woken by the NOTIFY may claim
    it before a later read would see it QUEUED)."""
    task_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(
            ExportTask.__table__.insert().values(
                id=task_id,
                organization_id=organization_id,
                status=ExportStatus.QUEUED,
                request=request.to_json().decode(),
                created_at=utcnow(),
            )
        )
        row = (await conn.execute(select(ExportTask.__table__).where(E.id == task_id))).first()
        await announce(conn)
    return row


async def get_task(engine: AsyncEngine, organization_id: str, task_id: str) -> Any | None:
    if "\x00" in task_id:  # no id holds one (a forged URL path), and PostgreSQL refuses to compare with it
        return None
    async with engine.connect() as conn:
        stmt = select(ExportTask.__table__).where(E.id == task_id, E.organization_id == organization_id)
        return (await conn.execute(stmt)).first()


async def get_task_status(engine: AsyncEngine, task_id: str) -> str | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(E.status).where(E.id == task_id))).scalar()


async def set_task(engine: AsyncEngine, task_id: str, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(ExportTask.__table__).where(E.id == task_id).values(**values))


# PostgreSQL: concurrent claimers skip rows another transaction holds and take the next task instead of waiting;
# SQLite has one writer at a time, so the conditional UPDATE alone keeps a claim exclusive.
CLAIM_LOCKING: dict[str, Callable[[Select[Any]], Select[Any]]] = {
    "postgresql": lambda stmt: stmt.with_for_update(skip_locked=True),
}


def _unlocked(stmt: Select[Any]) -> Select[Any]:
    return stmt


def _last_served() -> Any:
    """When the candidate's organization last had a task started (NULL: never): the least recently served goes first,
    so organizations take turns however many tasks one of them queued (`ix_exporttask_org_started` answers it)."""
    other = ExportTask.__table__.alias("served")
    return (
        select(func.max(other.c.started_at))
        .where(other.c.organization_id == E.organization_id)
        .scalar_subquery()
        .nulls_first()
    )


def claimable(now: Any) -> Any:
    """Waiting tasks, and running ones whose worker stopped renewing its lease (crashed, killed, cut off)."""
    return or_(E.status == ExportStatus.QUEUED, and_(E.status == ExportStatus.IN_PROGRESS, E.lease_until < now))


def gave_up_reason(reclaims: int) -> str:
    return (
        f"the export stopped its worker {reclaims + 1} times (the worker died while running it); it is not retried. "
        "The server log says more; try a narrower export or report it."
    )


async def claim_next(
    engine: AsyncEngine,
    worker: str,
    lease_seconds: float = 30.0,
    max_reclaims: int = 2,
    ttl_seconds: int = 7 * 24 * 3600,
) -> Any | None:
    """Claim the next claimable task for this worker: the oldest of the organization served least recently (round
    robin across organizations); row lock (PostgreSQL) + conditional UPDATE make it exclusive.
    A reclaimed task keeps its checkpoint, so the new worker resumes it; one already reclaimed `max_reclaims` times
    (each time its worker died running it) is FAILED instead, and the next task is claimed."""
    while True:
        now = utcnow()
        async with engine.begin() as conn:
            turns = (_last_served(), E.created_at, E.id)
            pick = select(E.id, E.status, E.reclaims).where(claimable(now)).order_by(*turns).limit(1)
            pick = CLAIM_LOCKING.get(conn.dialect.name, _unlocked)(pick)
            row = (await conn.execute(pick)).first()
            if row is None:
                return None
            reclaim = row.status == ExportStatus.IN_PROGRESS
            if reclaim and row.reclaims >= max_reclaims:
                await conn.execute(
                    update(ExportTask.__table__)
                    .where(E.id == row.id, claimable(now))
                    .values(status=ExportStatus.FAILED, claimed_by=None, lease_until=None, completed_at=now,
                            failure_reason=gave_up_reason(row.reclaims), expires_at=expiry(ttl_seconds))
                )  # fmt: skip
                log.error("export %s: %s", row.id, gave_up_reason(row.reclaims))
                continue
            claimed = await conn.execute(
                update(ExportTask.__table__)
                .where(E.id == row.id, claimable(now))
                .values(
                    status=ExportStatus.IN_PROGRESS,
                    claimed_by=worker,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    started_at=func.coalesce(E.started_at, now),
                    reclaims=E.reclaims + int(reclaim),
                )
            )
            if claimed.rowcount != 1:
                return None
            return (await conn.execute(select(ExportTask.__table__).where(E.id == row.id))).first()


def expiry(ttl_seconds: int) -> Any:
    return utcnow() + timedelta(seconds=ttl_seconds)


def is_expired(task: Any) -> bool:
    reason = task.failure_reason or ""
    return reason.startswith(EXPIRED) or (task.expires_at is not None and task.expires_at <= utcnow())


async def due_for_expiry(engine: AsyncEngine) -> list[str]:
    """Finished tasks past `expires_at` whose files have not been swept yet."""
    not_swept = or_(E.failure_reason.is_(None), ~E.failure_reason.startswith(EXPIRED))
    stmt = select(E.id).where(E.status.in_(TERMINAL), E.expires_at <= utcnow(), not_swept)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).scalars())


async def recent_tasks(engine: AsyncEngine, organization_id: str, limit: int) -> list[Any]:
    """The organization's latest `limit` tasks, newest first."""
    async with engine.connect() as conn:
        stmt = select(ExportTask.__table__).where(E.organization_id == organization_id)
        return list((await conn.execute(stmt.order_by(E.created_at.desc(), E.id.desc()).limit(limit))).all())
